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

/// <summary>
/// Checks <see cref="AdminOptions"/> at start: a key too short to resist guessing is refused, and so is one that could never
/// be sent or match (a character outside printable ASCII, which a browser's fetch cannot put in a header, or a leading or
/// trailing space, which the header loses when it is trimmed). The key is never echoed.
/// </summary>
public sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        if (!options.Enabled) return ValidateOptionsResult.Success;
        string key = options.AdminKey!;
        if (key.Length < AdminOptions.MinKeyLength || string.IsNullOrWhiteSpace(key))
            return ValidateOptionsResult.Fail($"Chorus:AdminKey must be at least {AdminOptions.MinKeyLength} characters (a long random value, e.g. from openssl rand -hex 24).");
        if (key.Any(c => c is < ' ' or > '~'))
            return ValidateOptionsResult.Fail("Chorus:AdminKey must be printable ASCII (characters 0x20-0x7E): a browser cannot send anything else in a header.");
        if (key[0] == ' ' || key[^1] == ' ')
            return ValidateOptionsResult.Fail("Chorus:AdminKey must not start or end with a space (the Authorization header is trimmed, so it could never match).");
        return ValidateOptionsResult.Success;
    }
}
