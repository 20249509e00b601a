using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Chorus.Protocol.Tests;

/// <summary>Makes legacy (CBC) Token04s, which Chorus must accept but never issues. Linked into the integration tests.</summary>
public static class LegacyCbcToken
{
    /// <summary>Builds a token the way ZEGO's legacy CBC generator does (16-char [0-9a-z] IV, PKCS#7, no mode byte).</summary>
    public static string Make(uint appId, string userId, string secret, long expire)
    {
        string json = $"{{\"app_id\":{appId},\"user_id\":\"{userId}\",\"nonce\":12345,\"ctime\":{expire - 600},\"expire\":{expire},\"payload\":\"\"}}";
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        byte[] iv = Encoding.ASCII.GetBytes(new string(Enumerable.Range(0, 16).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]).ToArray()));
        using var aes = Aes.Create();
        aes.Key = Encoding.UTF8.GetBytes(secret);
        byte[] cipher = aes.EncryptCbc(Encoding.UTF8.GetBytes(json), iv, PaddingMode.PKCS7);
        byte[] record = new byte[8 + 2 + 16 + 2 + cipher.Length];
        BinaryPrimitives.WriteInt64BigEndian(record, expire);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(8), 16);
        iv.CopyTo(record, 10);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(26), (ushort)cipher.Length);
        cipher.CopyTo(record, 28);
        return "04" + Convert.ToBase64String(record);
    }
}
