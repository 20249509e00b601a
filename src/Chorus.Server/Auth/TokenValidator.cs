using System.Net;
using System.Net.Sockets;
using Chorus.Protocol;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Auth;

/// <summary>Where a token is presented.</summary>
public enum TokenUse
{
    /// <summary>A room login (Express).</summary>
    RoomLogin,
    /// <summary>A room login's token renewal.</summary>
    RoomRenew,
    /// <summary>A chat login (ZIM).</summary>
    ChatLogin,
    /// <summary>A chat login's token renewal.</summary>
    ChatRenew,
}

/// <summary>What the client is told about a token.</summary>
public enum TokenOutcome
{
    /// <summary>The token verified: go ahead.</summary>
    Valid,
    /// <summary>The token is genuine and right for this app, user and room, and only its time has run out.</summary>
    Expired,
    /// <summary>Anything else: one answer, whatever failed (the reason is logged only).</summary>
    Refused,
    /// <summary>Too many refused tokens lately from this address or for this app, and this token did not verify in its
    /// authenticated (GCM) form; it was not counted.</summary>
    Throttled,
}

/// <summary>The result of <see cref="TokenValidator.CheckAsync"/>.</summary>
/// <param name="Outcome">What to tell the client.</param>
/// <param name="Claims">The claims, when the outcome is <see cref="TokenOutcome.Valid"/>.</param>
public readonly record struct TokenCheck(TokenOutcome Outcome, Token04Claims? Claims);

/// <summary>
/// The one server-side token check, used by room and chat logins and renewals. Its answers reveal nothing an attacker
/// without the ServerSecret could use: every token that does not verify gets the same <see cref="TokenOutcome.Refused"/>
/// (the detail goes to the log), no sooner than <see cref="AuthOptions.TokenRefusalDelay"/> after the check
/// began; <see cref="TokenOutcome.Expired"/> is told only for a genuine token (as ZEGO does), which needs the secret to
/// make. Refusals are counted per source address and per app; past <see cref="AuthOptions.FailedLoginsPerAddressPerMinute"/>
/// or <see cref="AuthOptions.FailedLoginsPerAppPerMinute"/> only a token that verifies in the authenticated GCM form
/// gets in, and every other one gets <see cref="TokenOutcome.Throttled"/> (so a flood of junk cannot lock out real users).
/// Legacy CBC tokens are decrypted only for apps with <see cref="AppOptions.AllowLegacyCbcTokens"/>.
/// </summary>
public sealed partial class TokenValidator
{
    private readonly AppRegistry _apps;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenValidator> _logger;
    private readonly KeyedLimiter<IPAddress> _failuresByAddress;
    private readonly KeyedLimiter<uint> _failuresByApp;
    private long _nextThrottleLogTicks;

    /// <summary>Creates the validator.</summary>
    public TokenValidator(AppRegistry apps, IOptions<AuthOptions> options, TimeProvider time, ILogger<TokenValidator> logger)
    {
        _apps = apps;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _failuresByAddress = new(_options.FailedLoginsPerAddressPerMinute, TimeSpan.FromMinutes(1), sweepEvery: TimeSpan.FromMinutes(1));
        _failuresByApp = new(_options.FailedLoginsPerAppPerMinute, TimeSpan.FromMinutes(1), sweepEvery: TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Checks <paramref name="token"/> for <paramref name="userId"/> of <paramref name="appId"/> (and <paramref name="roomId"/>
    /// for room uses), presented from <paramref name="remoteAddress"/>. Valid answers come at once; any other answer no
    /// sooner than <see cref="AuthOptions.TokenRefusalDelay"/> after the call.
    /// </summary>
    public async ValueTask<TokenCheck> CheckAsync(uint appId, string? remoteAddress, string? token, string userId, string? roomId, TokenUse use)
    {
        long started = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var address = AddressKey(remoteAddress);
        bool knownApp = _apps.TryGet(appId, out var app);
        uint appKey = knownApp ? appId : 0; // unknown AppIds share one counter, so they cannot grow the table

        // Past a failure limit, a token is still checked, but only in the authenticated (GCM) form: one that verifies
        // needed the secret to make, so it gets in, and a flood of junk from many addresses cannot lock out the app's
        // real users. Anything else (CBC included: its decryption is what an oracle attack needs) gets the throttled
        // answer, uncounted.
        bool throttled = _failuresByAddress.IsFull(address, now) || _failuresByApp.IsFull(appKey, now);
        var check = knownApp
            ? Token04.Verify(token, appId, userId, app.ServerSecret, now, use is TokenUse.RoomLogin or TokenUse.RoomRenew ? roomId : null, new Token04Policy
            {
                AllowLegacyCbc = app.AllowLegacyCbcTokens && !throttled,
                MaxLifetime = _options.MaxTokenLifetime,
                ClockSkew = _options.TokenClockSkew,
                RefuseRoomPayload = use is TokenUse.ChatLogin or TokenUse.ChatRenew,
            })
            : new Token04Verification(Token04Status.Invalid, null, "unknown AppId");
        if (check.Status == Token04Status.Valid) return new(TokenOutcome.Valid, check.Claims);

        TokenCheck result;
        if (throttled)
        {
            if (ShouldLogThrottle(now)) Log.Throttled(_logger, appId, use, userId, address.ToString());
            result = new(TokenOutcome.Throttled, null);
        }
        else
        {
            Log.Refused(_logger, appId, use, userId, roomId ?? "", address.ToString(), check.Reason);
            if (check.Status == Token04Status.Expired)
            {
                result = new(TokenOutcome.Expired, null);
            }
            else
            {
                _failuresByAddress.TryAcquire(address, now);
                _failuresByApp.TryAcquire(appKey, now);
                result = new(TokenOutcome.Refused, null);
            }
        }

        // A fixed floor for every refusal: whatever the check did (or skipped), the answer leaves at the same time.
        var rest = _options.TokenRefusalDelay - _time.GetElapsedTime(started);
        if (rest > TimeSpan.Zero) await Task.Delay(rest, _time);
        return result;
    }

    /// <summary>The address a refusal is counted against: IPv4 as is, IPv6 by its /64 (one host's usual share).</summary>
    internal static IPAddress AddressKey(string? remoteAddress)
    {
        if (remoteAddress is null || !IPAddress.TryParse(remoteAddress, out var address)) return IPAddress.None;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        byte[] bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    /// <summary>Throttled attempts are logged at most once every 10 s, so a flood of junk does not become a flood of log lines.</summary>
    private bool ShouldLogThrottle(DateTimeOffset now)
    {
        long ticks = now.UtcTicks, next = Interlocked.Read(ref _nextThrottleLogTicks);
        return ticks >= next && Interlocked.CompareExchange(ref _nextThrottleLogTicks, ticks + 10 * TimeSpan.TicksPerSecond, next) == next;
    }

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Information, "App {AppId}: {Use} of {UserId} (room '{RoomId}') from {Address} refused: {Reason}")]
        public static partial void Refused(ILogger logger, uint appId, TokenUse use, string userId, string roomId, string address, string reason);

        [LoggerMessage(2202, LogLevel.Warning, "App {AppId}: {Use} of {UserId} from {Address} throttled: too many refused tokens from this address or for this app in the last minute (logged once per 10 s)")]
        public static partial void Throttled(ILogger logger, uint appId, TokenUse use, string userId, string address);
    }
}

/// <summary>The one text of each token refusal, shared by room and chat logins (the reason is logged only).</summary>
public static class TokenRefusalMessages
{
    /// <summary>The text of every 1002033 / 6000103 token refusal.</summary>
    public const string Invalid = "token is invalid";
    /// <summary>The text of every 1002078 / 6000106 answer (a genuine token past its expiry).</summary>
    public const string Expired = "token has expired";
    /// <summary>The text of a login refused unchecked after too many refused tokens (1000004).</summary>
    public const string Throttled = "too many failed logins from this address or for this app; retry later";
}
