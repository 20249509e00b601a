using System.Security.Cryptography;
using System.Text;

namespace Chorus.Protocol;

/// <summary>
/// The signature of callbacks to the app's backend: lowercase hex SHA-1 of CallbackSecret, timestamp and nonce,
/// sorted as strings (ordinal) and concatenated.
/// </summary>
public static class WebhookSignature
{
    /// <summary>Computes the signature.</summary>
    public static string Compute(string callbackSecret, string timestamp, string nonce)
    {
        string[] parts = [callbackSecret, timestamp, nonce];
        Array.Sort(parts, StringComparer.Ordinal);
        // SHA-1 is what the ZEGO-compatible callback format prescribes.
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts))));
    }

    /// <summary>Checks a callback's signature in constant time.</summary>
    public static bool Matches(string callbackSecret, string timestamp, string nonce, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(callbackSecret, timestamp, nonce)), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));
}
