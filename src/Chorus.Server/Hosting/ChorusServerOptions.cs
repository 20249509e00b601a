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

/// <summary>Server settings, bound from the <c>Chorus</c> configuration section.</summary>
public sealed class ChorusServerOptions
{
    /// <summary>The configuration section name: "Chorus".</summary>
    public const string SectionName = "Chorus";

    /// <summary>The well-known development app used when no app is configured. Never deploy it.</summary>
    public static readonly AppOptions DevApp = new() { AppId = 1, ServerSecret = "chorus-dev-secret-do-not-deploy!" };

    /// <summary>Hosted apps. Empty = the development app <see cref="DevApp"/>.</summary>
    public List<AppOptions> Apps { get; set; } = [];
    /// <summary>Directory for stored data. Default: "data" under the working directory.</summary>
    public string DataDirectory { get; set; } = "data";
    /// <summary>A connection that sends nothing (not even a ping) for this long is dropped. Default 30 s (ZEGO: 100 s).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often clients are asked to ping. Default 10 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Frames queued for one connection at most. Unreliable frames are dropped once half is used;
    /// a reliable frame that does not fit disconnects the client. Default 1024.</summary>
    public int SendQueueCapacity { get; set; } = 1024;
    /// <summary>Largest WebSocket message accepted from a client, in bytes (told to clients in the hello frame). A larger
    /// one is read and discarded and answered with 1000005 (up to 1 MiB; beyond, the connection is closed with 1009).
    /// Default 16 KiB.</summary>
    public int MaxFrameBytes { get; set; } = Protocol.FrameLimits.DefaultMaxFrameBytes;
    /// <summary>New WebSocket connections accepted per remote IP address per second; more are refused with HTTP 429. Default 50.</summary>
    public int ConnectionsPerIpPerSecond { get; set; } = 50;
    /// <summary>Frames one connection may send per second; beyond, requests are refused with 1000003, and a
    /// connection that sends twice as many is closed (1008). Default 200.</summary>
    public int FramesPerConnectionPerSecond { get; set; } = 200;
    /// <summary>Frames all connections of one app may send per second; beyond, requests are refused with 1000003. Default 20000.</summary>
    public int FramesPerAppPerSecond { get; set; } = 20_000;
    /// <summary>Login attempts (room and chat) per connection per minute; beyond, logins are refused with 1000004. Default 30.</summary>
    public int LoginAttemptsPerConnectionPerMinute { get; set; } = 30;
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
    /// <summary>A connection whose socket has not taken a queued frame for this long is disconnected (a stuck reader). Default 10 s.</summary>
    public TimeSpan SlowConsumerTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Rooms one connection may be logged into at once. Default 5.</summary>
    public int MaxRoomsPerConnection { get; set; } = 5;
    /// <summary>This node's number in the ids it issues (chat and broadcast MessageIds, RequestIds), 0-1023; distinct per node when
    /// several run. Default: unset, a random number drawn at start.</summary>
    public int? NodeId { get; set; }
    /// <summary>How often room members get the online user count. Default 30 s.</summary>
    public TimeSpan OnlineCountInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long before token expiry clients are warned. Default 30 s.</summary>
    public TimeSpan TokenWillExpireNotice { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Broadcast messages per room per second. Default 10.</summary>
    public int BroadcastPerRoomPerSecond { get; set; } = 10;
    /// <summary>Broadcast messages per client per second. Default 2.</summary>
    public int BroadcastPerClientPerSecond { get; set; } = 2;
    /// <summary>Barrage messages per room per second. Default 20.</summary>
    public int BarragePerRoomPerSecond { get; set; } = 20;
    /// <summary>Custom commands per client per second when sent to one user. Default 200.</summary>
    public int CustomCommandToOnePerSecond { get; set; } = 200;
    /// <summary>Custom commands per client per second when sent to several users or the whole room. Default 10.</summary>
    public int CustomCommandToManyPerSecond { get; set; } = 10;
    /// <summary>First retry delay of a failed callback; it doubles for each of <see cref="WebhookRetries"/> retries. Default 2 s (2, 4, 8, 16, 32 s).</summary>
    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>Retries of a failed callback. Default 5.</summary>
    public int WebhookRetries { get; set; } = 5;
    /// <summary>How long one callback POST may take. Default 5 s.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Callbacks waiting for delivery at most; beyond it new ones are dropped (and logged). Default 10000.</summary>
    public int WebhookQueueCapacity { get; set; } = 10_000;
    /// <summary>Chat: file name of the SQLite database inside <see cref="DataDirectory"/>. Default "chorus.db".</summary>
    public string DatabaseFileName { get; set; } = "chorus.db";
    /// <summary>Chat: largest text or custom message in bytes. Default 2048; at most 32768.</summary>
    public int ChatMaxTextBytes { get; set; } = Protocol.ChatLimits.DefaultMaxTextBytes;
    /// <summary>Chat: messages a user may send per second (barrage excepted). Default 10.</summary>
    public int ChatSendsPerSecond { get; set; } = 10;
    /// <summary>Chat: most members of a group. Default 500.</summary>
    public int ChatMaxGroupMembers { get; set; } = 500;
    /// <summary>Chat: most members of a chat room. Default 10000.</summary>
    public int ChatMaxRoomMembers { get; set; } = 10_000;
    /// <summary>Chat: room history kept in memory: the last N messages. Default 500.</summary>
    public int ChatRoomHistoryCount { get; set; } = 500;
    /// <summary>Chat: room history kept in memory: messages younger than this. Default 3 hours.</summary>
    public TimeSpan ChatRoomHistoryAge { get; set; } = TimeSpan.FromHours(3);
    /// <summary>Chat: a room member whose connection is gone is removed after this long. Default 30 s.</summary>
    public TimeSpan ChatRoomMemberGracePeriod { get; set; } = TimeSpan.FromSeconds(30);
    // ---- chat creation caps (issue 9: unbounded creation) ----------------------------------------

    /// <summary>Chat: most groups one user may own at once (created and not dismissed); a createGroup beyond is refused
    /// with 6000503. Default 500.</summary>
    public int ChatMaxGroupsPerUser { get; set; } = 500;
    /// <summary>Chat: most groups one user may create in any hour, dismissed ones included (so that create-and-dismiss
    /// churn is bounded); a createGroup beyond is refused with 6000005. ZIM documents no such limit. Default 100.</summary>
    public int ChatGroupCreatesPerUserPerHour { get; set; } = 100;
    /// <summary>Chat: most chat rooms one user may be in at once; a createRoom, enterRoom or joinRoom beyond is refused
    /// with 6000325. Default 10.</summary>
    public int ChatMaxRoomsPerUser { get; set; } = 10;
    /// <summary>Chat: most chat rooms one app may have at once; a createRoom or enterRoom that would make one more is
    /// refused with 6000324. Default 10000.</summary>
    public int ChatMaxRoomsPerApp { get; set; } = 10_000;

    // ------------------------------------------------------------------------------------------------

    /// <summary>Server API calls per AppId per second, by action. Defaults are ZEGO's.</summary>
    public Dictionary<string, int> ServerApiRatePerSecond { get; set; } = new(StringComparer.Ordinal)
    {
        ["SendCustomCommand"] = 100,
        ["SendBroadcastMessage"] = 100,
        ["SendBarrageMessage"] = 100,
        ["DescribeUserNum"] = 10,
        ["DescribeUsers"] = 10,
        ["KickoutUser"] = 50,
        ["CloseRoom"] = 1,
        ["SendPeerMessage"] = 20,
        ["SendGroupMessage"] = 10,
        ["SendRoomMessage"] = 10,
        ["QueryUserOnlineState"] = 20,
    };

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
        if (options.HeartbeatTimeout <= TimeSpan.Zero) errors.Add("Chorus:HeartbeatTimeout must be positive.");
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.HeartbeatInterval >= options.HeartbeatTimeout)
            errors.Add("Chorus:HeartbeatInterval must be positive and shorter than HeartbeatTimeout.");
        if (options.SendQueueCapacity < 4) errors.Add("Chorus:SendQueueCapacity must be at least 4.");
        if (options.MaxFrameBytes < 2048 || options.MaxFrameBytes > Protocol.FrameLimits.MaxDiscardedFrameBytes)
            errors.Add("Chorus:MaxFrameBytes must be between 2048 and 1048576.");
        if (options.MaxRoomsPerConnection < 1) errors.Add("Chorus:MaxRoomsPerConnection must be at least 1.");
        if (options.ConnectionsPerIpPerSecond < 1 || options.FramesPerConnectionPerSecond < 1 || options.FramesPerAppPerSecond < 1 || options.LoginAttemptsPerConnectionPerMinute < 1)
            errors.Add("Chorus: flood limits (ConnectionsPerIpPerSecond, FramesPerConnectionPerSecond, FramesPerAppPerSecond, LoginAttemptsPerConnectionPerMinute) must be at least 1.");
        if (options.FailedLoginsPerAddressPerMinute < 1 || options.FailedLoginsPerAppPerMinute < 1)
            errors.Add("Chorus: FailedLoginsPerAddressPerMinute and FailedLoginsPerAppPerMinute must be at least 1.");
        if (options.MaxTokenLifetime < TimeSpan.FromSeconds(1)) errors.Add("Chorus:MaxTokenLifetime must be at least 1 second.");
        if (options.TokenClockSkew < TimeSpan.Zero) errors.Add("Chorus:TokenClockSkew must not be negative.");
        if (options.TokenRefusalDelay < TimeSpan.Zero || options.TokenRefusalDelay > TimeSpan.FromSeconds(5))
            errors.Add("Chorus:TokenRefusalDelay must be between 0 and 5 seconds.");
        if (options.SlowConsumerTimeout <= TimeSpan.Zero) errors.Add("Chorus:SlowConsumerTimeout must be positive.");
        if (options.WebhookRetries < 0 || options.WebhookRetryBaseDelay < TimeSpan.Zero || options.WebhookTimeout <= TimeSpan.Zero || options.WebhookQueueCapacity < 1)
            errors.Add("Chorus: webhook settings must be non-negative (timeout and queue capacity positive).");
        if (options.ChatMaxTextBytes < 1 || options.ChatMaxTextBytes > Protocol.ChatLimits.MaxConfigurableTextBytes)
            errors.Add("Chorus:ChatMaxTextBytes must be between 1 and 32768.");
        if (options.ChatSendsPerSecond < 1 || options.ChatMaxGroupMembers < 2 || options.ChatMaxRoomMembers < 1 || options.ChatRoomHistoryCount < 0)
            errors.Add("Chorus: chat limits must be positive (groups hold at least 2 members).");
        if (options.ChatMaxGroupsPerUser < 1 || options.ChatMaxRoomsPerUser < 1 || options.ChatMaxRoomsPerApp < 1 || options.ChatGroupCreatesPerUserPerHour < 1)
            errors.Add("Chorus: chat creation caps (ChatMaxGroupsPerUser, ChatGroupCreatesPerUserPerHour, ChatMaxRoomsPerUser, ChatMaxRoomsPerApp) must be at least 1.");
        if (string.IsNullOrWhiteSpace(options.DatabaseFileName)) errors.Add("Chorus:DatabaseFileName must not be empty.");
        // A path would put the database outside the data directory, where its lock (chorus.lock) does not guard it.
        else if (options.DatabaseFileName.IndexOfAny(['/', '\\']) >= 0 || options.DatabaseFileName is "." or ".." || Path.IsPathRooted(options.DatabaseFileName))
            errors.Add("Chorus:DatabaseFileName must be a plain file name inside DataDirectory, not a path.");
        if (options.OnlineCountInterval <= TimeSpan.Zero) errors.Add("Chorus:OnlineCountInterval must be positive.");
        if (options.NodeId is < 0 or > NodeIdentity.MaxId) errors.Add($"Chorus:NodeId must be 0-{NodeIdentity.MaxId}.");
        foreach (var (action, rate) in options.ServerApiRatePerSecond)
            if (rate < 1) errors.Add($"Chorus:ServerApiRatePerSecond:{action} must be at least 1.");
        if (options.BroadcastPerRoomPerSecond < 1 || options.BroadcastPerClientPerSecond < 1 || options.BarragePerRoomPerSecond < 1
            || options.CustomCommandToOnePerSecond < 1 || options.CustomCommandToManyPerSecond < 1)
            errors.Add("Chorus: every per-second message limit must be at least 1.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
