using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>Settings of the operators' admin page (<c>Chorus:AdminKey</c>).</summary>
public sealed class AdminOptions
{
    /// <summary>The shortest admin key accepted (characters).</summary>
    public const int MinKeyLength = 16;

    /// <summary>
    /// The key every admin request must carry (<c>Authorization: Bearer KEY</c>); without it there is no admin surface at
    /// all (<c>/admin</c> answers 404). At least <see cref="MinKeyLength"/> characters.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>True when an admin key is configured (an empty value counts as none).</summary>
    public bool Enabled => !string.IsNullOrEmpty(AdminKey);
}

/// <summary>Checks <see cref="AdminOptions"/> at start: a key too short to resist guessing is refused, never echoed.</summary>
public sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AdminOptions options) =>
        options.Enabled && (options.AdminKey!.Length < AdminOptions.MinKeyLength || string.IsNullOrWhiteSpace(options.AdminKey))
            ? ValidateOptionsResult.Fail($"Chorus:AdminKey must be at least {AdminOptions.MinKeyLength} characters (a long random value, e.g. from openssl rand -hex 24).")
            : ValidateOptionsResult.Success;
}
