using System.Security.Cryptography;
using System.Text;

namespace Chorus.Protocol;

/// <summary>ZEGO's server API signature, SignatureVersion 2.0: lowercase hex MD5 of AppId + SignatureNonce + ServerSecret + Timestamp.</summary>
public static class ServerApiSignature
{
    /// <summary>The only signature version accepted: "2.0".</summary>
    public const string Version = "2.0";
    /// <summary>How far a request's Timestamp may be from the server's clock: 10 minutes.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(10);

    /// <summary>Computes the signature.</summary>
    public static string Compute(uint appId, string signatureNonce, string serverSecret, long timestamp)
    {
        // MD5 is what the ZEGO-compatible wire format prescribes; it is not our choice of hash.
        byte[] hash = MD5.HashData(Encoding.UTF8.GetBytes(string.Concat(appId.ToString(), signatureNonce, serverSecret, timestamp.ToString())));
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Checks a signature in constant time (case-insensitive hex).</summary>
    public static bool Matches(uint appId, string signatureNonce, string serverSecret, long timestamp, string signature)
    {
        byte[] expected = Encoding.ASCII.GetBytes(Compute(appId, signatureNonce, serverSecret, timestamp));
        byte[] given = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>A new random 16-hex-character nonce, as in ZEGO's samples.</summary>
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// Builds the common query string (<c>AppId, SignatureNonce, Timestamp, SignatureVersion, Signature</c>)
    /// for a request, without a leading '?' or '&amp;'.
    /// </summary>
    public static string BuildCommonQuery(uint appId, string serverSecret, DateTimeOffset now, string? nonce = null)
    {
        nonce ??= NewNonce();
        long ts = now.ToUnixTimeSeconds();
        return $"AppId={appId}&SignatureNonce={nonce}&Timestamp={ts}&SignatureVersion={Version}&Signature={Compute(appId, nonce, serverSecret, ts)}";
    }
}
