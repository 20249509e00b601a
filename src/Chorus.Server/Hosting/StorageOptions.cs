using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>Settings of the embedded store's files: the data directory and the database file (flat keys under <c>Chorus</c>, e.g. <c>Chorus:DataDirectory</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>Directory for stored data. Default: "data" under the working directory.</summary>
    public string DataDirectory { get; set; } = "data";
    /// <summary>Chat: file name of the SQLite database inside <see cref="DataDirectory"/>. Default "chorus.db".</summary>
    public string DatabaseFileName { get; set; } = "chorus.db";
}

/// <summary>Checks <see cref="StorageOptions"/> at start.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DatabaseFileName)) return ValidateOptionsResult.Fail("Chorus:DatabaseFileName must not be empty.");
        // A path would put the database outside the data directory, where its lock (chorus.lock) does not guard it.
        if (options.DatabaseFileName.IndexOfAny(['/', '\\']) >= 0 || options.DatabaseFileName is "." or ".." || Path.IsPathRooted(options.DatabaseFileName))
            return ValidateOptionsResult.Fail("Chorus:DatabaseFileName must be a plain file name inside DataDirectory, not a path.");
        return ValidateOptionsResult.Success;
    }
}
