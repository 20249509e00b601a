using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>
/// Settings of login tokens: refused-login limits, token lifetime and clock skew, the refusal delay, the will-expire notice
/// (flat keys under <c>Chorus</c>, e.g. <c>Chorus:MaxTokenLifetime</c>).
/// </summary>
public sealed class AuthOptions
{
    /// <summary>Refused logins and token renewals (room and chat) per source address per minute (IPv6: per /64); beyond,
    /// every login from that address is refused with 1000004 until the minute has passed. Successes do not count. Default 20.</summary>
    public int FailedLoginsPerAddressPerMinute { get; set; } = 20;
    /// <summary>Refused logins and token renewals per app per minute, from all addresses together; beyond, every login of
    /// that app is refused with 1000004 until the minute has passed. Successes do not count. Default 600.</summary>
    public int FailedLoginsPerAppPerMinute { get; set; } = 600;
    /// <summary>The longest token lifetime (<c>expire - ctime</c>) accepted. Default 24 hours.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(24);
    /// <summary>How far in the future a token's issue time (<c>ctime</c>) may be, for issuers whose clock runs ahead. Default 5 minutes.</summary>
    public TimeSpan TokenClockSkew { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Every refused login or renewal is answered no sooner than this after the check began, so that the time
    /// of an answer tells nothing about why. Default 50 ms.</summary>
    public TimeSpan TokenRefusalDelay { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>How long before token expiry clients are warned. Default 30 s.</summary>
    public TimeSpan TokenWillExpireNotice { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="AuthOptions"/> at start.</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        if (options.FailedLoginsPerAddressPerMinute < 1 || options.FailedLoginsPerAppPerMinute < 1)
            errors.Add("Chorus: FailedLoginsPerAddressPerMinute and FailedLoginsPerAppPerMinute must be at least 1.");
        if (options.MaxTokenLifetime < TimeSpan.FromSeconds(1)) errors.Add("Chorus:MaxTokenLifetime must be at least 1 second.");
        if (options.TokenClockSkew < TimeSpan.Zero) errors.Add("Chorus:TokenClockSkew must not be negative.");
        if (options.TokenRefusalDelay < TimeSpan.Zero || options.TokenRefusalDelay > TimeSpan.FromSeconds(5))
            errors.Add("Chorus:TokenRefusalDelay must be between 0 and 5 seconds.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
