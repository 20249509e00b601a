using System.Collections.Concurrent;
using Chorus.Protocol;

namespace Chorus.Server.Auth;

/// <summary>The outcome of checking a server API request's common parameters.</summary>
/// <param name="Code">0 when the request is authentic, else a 1000000xx code.</param>
/// <param name="Message">What was wrong (never contains the secret).</param>
/// <param name="AppId">The AppId, when it parsed.</param>
public readonly record struct SignatureCheck(int Code, string Message, uint AppId);

/// <summary>
/// Verifies ZEGO SignatureVersion 2.0 signatures: AppId, nonce, timestamp within ±10 minutes, constant-time
/// signature comparison, and no nonce reused by the same app within the timestamp window (replay).
/// </summary>
public sealed class SignatureVerifier
{
    private readonly AppRegistry _apps;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(uint AppId, string Nonce), long> _seenNonces = new();
    private long _nextSweepTicks;

    /// <summary>Creates the verifier.</summary>
    public SignatureVerifier(AppRegistry apps, TimeProvider time)
    {
        _apps = apps;
        _time = time;
    }

    /// <summary>Checks the common parameters of a request, in ZEGO's order of codes.</summary>
    public SignatureCheck Verify(string? appIdText, string? nonce, string? timestampText, string? version, string? signature)
    {
        if (string.IsNullOrEmpty(appIdText) || !uint.TryParse(appIdText, out uint appId) || appId == 0)
            return new(ServerApiCodes.AppIdFormat, "AppId is missing or not a uint32", 0);
        if (string.IsNullOrEmpty(timestampText)) return new(ServerApiCodes.TimestampEmpty, "Timestamp is empty", appId);
        if (!long.TryParse(timestampText, out long timestamp)) return new(ServerApiCodes.TimestampFormat, "Timestamp is not a Unix time in seconds", appId);
        if (string.IsNullOrEmpty(nonce)) return new(ServerApiCodes.NonceEmpty, "SignatureNonce is empty", appId);
        if (string.IsNullOrEmpty(signature)) return new(ServerApiCodes.SignatureEmpty, "Signature is empty", appId);
        if (string.IsNullOrEmpty(version)) return new(ServerApiCodes.VersionEmpty, "SignatureVersion is empty", appId);
        if (version != ServerApiSignature.Version) return new(ServerApiCodes.VersionUnsupported, "SignatureVersion must be 2.0", appId);
        if (!_apps.TryGet(appId, out var app)) return new(ServerApiCodes.AppUnknown, "AppId is not configured on this server", appId);

        var now = _time.GetUtcNow();
        long skew = Math.Abs(now.ToUnixTimeSeconds() - timestamp);
        if (skew > ServerApiSignature.MaxClockSkew.TotalSeconds)
            return new(ServerApiCodes.SignatureExpired, "Timestamp is more than 10 minutes from the server's clock", appId);
        if (!ServerApiSignature.Matches(appId, nonce, app.ServerSecret, timestamp, signature))
            return new(ServerApiCodes.SignatureInvalid, "Signature does not match", appId);

        SweepExpired(now);
        // A nonce is remembered for twice the skew window: any replay inside the window is caught.
        long forgetAt = now.UtcTicks + 2 * ServerApiSignature.MaxClockSkew.Ticks;
        if (!_seenNonces.TryAdd((appId, nonce), forgetAt))
            return new(ServerApiCodes.SignatureInvalid, "SignatureNonce was already used (replayed request)", appId);
        return new(ServerApiCodes.Success, "success", appId);
    }

    private void SweepExpired(DateTimeOffset now)
    {
        long ticks = now.UtcTicks;
        long next = Interlocked.Read(ref _nextSweepTicks);
        if (ticks < next || Interlocked.CompareExchange(ref _nextSweepTicks, ticks + TimeSpan.TicksPerMinute, next) != next) return;
        foreach (var (key, forgetAt) in _seenNonces)
            if (forgetAt <= ticks) _seenNonces.TryRemove(key, out _);
    }
}
