using Chorus.Protocol;
using Chorus.Storage;

namespace Chorus.Server.Auth;

/// <summary>The outcome of checking a server API request's common parameters.</summary>
/// <param name="Code">0 when the request is authentic, else a 1000000xx code.</param>
/// <param name="Message">What was wrong (never contains the secret).</param>
/// <param name="AppId">The AppId, when it parsed.</param>
/// <param name="Failure">Why the nonce could not be recorded (server-side fault), for the log; never sent to the caller.</param>
public readonly record struct SignatureCheck(int Code, string Message, uint AppId, Exception? Failure = null);

/// <summary>
/// Verifies ZEGO SignatureVersion 2.0 signatures: AppId, nonce, timestamp within ±10 minutes, constant-time
/// signature comparison, and no nonce reused by the same app within the timestamp window (replay), also across
/// restarts: the nonce of every authentic request is durably recorded (<see cref="ISignatureNonceStore"/>) before
/// the request is let through.
/// </summary>
public sealed class SignatureVerifier
{
    /// <summary>How long past the end of a request's timestamp window its nonce is still remembered (slack for a
    /// server clock that is set back a little).</summary>
    public static readonly TimeSpan NonceRetentionSlack = TimeSpan.FromMinutes(1);

    /// <summary>The message of a replayed request (code 100000005).</summary>
    public const string ReplayMessage = "SignatureNonce was already used (replayed request)";

    /// <summary>The message when the nonce could not be recorded (code 1): the request was not run.</summary>
    public const string NonceStoreFailedMessage = "the request could not be recorded and was not run; retry with a new SignatureNonce";

    private readonly AppRegistry _apps;
    private readonly TimeProvider _time;
    private readonly ISignatureNonceStore _nonces;

    /// <summary>Creates the verifier.</summary>
    public SignatureVerifier(AppRegistry apps, TimeProvider time, ISignatureNonceStore nonces)
    {
        _apps = apps;
        _time = time;
        _nonces = nonces;
    }

    /// <summary>Checks the common parameters of a request, in ZEGO's order of codes, and records its nonce.</summary>
    public async Task<SignatureCheck> VerifyAsync(string? appIdText, string? nonce, string? timestampText, string? version, string? signature, CancellationToken cancellationToken = default)
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

        // The signature covers the nonce and the timestamp, so a replay carries the same timestamp and is refused as
        // expired once the window has passed: the nonce is needed until then (plus some slack), no longer.
        var forgetAt = DateTimeOffset.FromUnixTimeSeconds(timestamp) + ServerApiSignature.MaxClockSkew + NonceRetentionSlack;
        bool recorded;
        try
        {
            recorded = await _nonces.TryRecordAsync(appId, nonce, forgetAt, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Fail closed: a request whose nonce is not durably recorded does not run.
            return new(ServerApiCodes.Failed, NonceStoreFailedMessage, appId, ex);
        }
        if (!recorded) return new(ServerApiCodes.SignatureInvalid, ReplayMessage, appId);
        return new(ServerApiCodes.Success, "success", appId);
    }
}
