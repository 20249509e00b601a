using System.Text;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>One app hosted by the server.</summary>
public sealed class AppOptions
{
    /// <summary>The app's id (uint32, not 0).</summary>
    public uint AppId { get; set; }
    /// <summary>The app's ServerSecret: exactly 32 ASCII characters.</summary>
    public string ServerSecret { get; set; } = "";
    /// <summary>Where room callbacks (room_create, room_close, room_login, room_logout) are POSTed; none when empty.</summary>
    public string? CallbackUrl { get; set; }
    /// <summary>The secret that signs callbacks.</summary>
    public string? CallbackSecret { get; set; }
    /// <summary>Accept legacy CBC Token04s (ZEGO's older generators) for this app. Off by default: CBC tokens are not
    /// authenticated, so their acceptance rests on the server never revealing why one failed; issue GCM tokens instead.</summary>
    public bool AllowLegacyCbcTokens { get; set; }
}

/// <summary>
/// Settings of the node itself: the hosted apps and the node id, bound from the <c>Chorus</c> configuration section. The
/// other areas have their own classes bound from the same flat section (the server's <c>ChorusSettingsCheck.OptionsTypes</c>).
/// </summary>
public sealed class ChorusServerOptions
{
    /// <summary>The configuration section name: "Chorus".</summary>
    public const string SectionName = "Chorus";

    /// <summary>The well-known development app used when no app is configured. Never deploy it.</summary>
    public static readonly AppOptions DevApp = new() { AppId = 1, ServerSecret = "chorus-dev-secret-do-not-deploy!" };

    /// <summary>Hosted apps. Empty = the development app <see cref="DevApp"/>.</summary>
    public List<AppOptions> Apps { get; set; } = [];
    /// <summary>This node's number in the ids it issues (chat and broadcast MessageIds, RequestIds), 0-1023; distinct per node when
    /// several run. Default: unset, a random number drawn at start.</summary>
    public int? NodeId { get; set; }

    /// <summary>The apps in force: the configured ones, or the development app.</summary>
    public IReadOnlyList<AppOptions> EffectiveApps => Apps.Count > 0 ? Apps : [DevApp];
}

/// <summary>Checks <see cref="ChorusServerOptions"/> at start.</summary>
public sealed class ChorusServerOptionsValidator : IValidateOptions<ChorusServerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ChorusServerOptions options)
    {
        var errors = new List<string>();
        var seen = new HashSet<uint>();
        foreach (var app in options.Apps)
        {
            if (app.AppId == 0) errors.Add("Chorus:Apps: AppId must not be 0.");
            if (!seen.Add(app.AppId)) errors.Add($"Chorus:Apps: AppId {app.AppId} is configured twice.");
            // The secret itself is never echoed in the message.
            if (!string.IsNullOrEmpty(app.CallbackUrl) && (!Uri.TryCreate(app.CallbackUrl, UriKind.Absolute, out var cb) || (cb.Scheme != "http" && cb.Scheme != "https")))
                errors.Add($"Chorus:Apps: the CallbackUrl of AppId {app.AppId} must be an absolute http(s) address.");
            if (!string.IsNullOrEmpty(app.CallbackUrl) && string.IsNullOrEmpty(app.CallbackSecret))
                errors.Add($"Chorus:Apps: AppId {app.AppId} has a CallbackUrl but no CallbackSecret.");
            if (app.ServerSecret.Length != 32 || Encoding.UTF8.GetByteCount(app.ServerSecret) != 32 || !Ascii.IsValid(app.ServerSecret))
                errors.Add($"Chorus:Apps: the ServerSecret of AppId {app.AppId} must be exactly 32 ASCII characters.");
        }
        if (options.NodeId is < 0 or > NodeIdentity.MaxId) errors.Add($"Chorus:NodeId must be 0-{NodeIdentity.MaxId}.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
