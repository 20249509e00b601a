using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Chorus.Protocol.Tests;

/// <summary>
/// Builds what a padding-oracle attacker sends against a legacy CBC Token04: the ciphertext block before the last is
/// replaced. Knowing the secret, the test chooses that block so the last plaintext block ends in valid PKCS#7 padding or
/// does not, and confirms which it is with .NET's own padding check. Linked into the integration tests.
/// </summary>
public static class CbcForgery
{
    /// <summary>A forged variant of <paramref name="token"/>; <c>PaddingValid</c> is what .NET's PKCS#7 check says of it.</summary>
    public static (string Token, bool PaddingValid) Make(string token, string secret, bool wantValidPadding, Random rng)
    {
        byte[] record = Convert.FromBase64String(token[2..]);
        int ivAt = 10, cipherAt = 28;
        int cipherLen = BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(26));
        if (cipherLen < 32) throw new ArgumentException("needs at least two cipher blocks", nameof(token));
        using var aes = Aes.Create();
        aes.Key = Encoding.UTF8.GetBytes(secret);
        // intermediate = D(last block); plaintext = intermediate XOR previous block
        byte[] intermediate = aes.DecryptEcb(record.AsSpan(cipherAt + cipherLen - 16, 16), PaddingMode.None);
        byte[] wanted = new byte[16];
        rng.NextBytes(wanted);
        if (wantValidPadding)
        {
            int pad = rng.Next(1, 17);
            for (int i = 0; i < pad; i++) wanted[15 - i] = (byte)pad;
        }
        else
        {
            wanted[15] = (byte)(rng.Next(2) == 0 ? 0 : rng.Next(17, 256)); // a pad byte no padding can have
        }
        var previous = record.AsSpan(cipherAt + cipherLen - 32, 16);
        for (int i = 0; i < 16; i++) previous[i] = (byte)(intermediate[i] ^ wanted[i]);

        bool valid;
        try
        {
            aes.DecryptCbc(record.AsSpan(cipherAt, cipherLen), record.AsSpan(ivAt, 16), PaddingMode.PKCS7);
            valid = true;
        }
        catch (CryptographicException) { valid = false; }
        return ("04" + Convert.ToBase64String(record), valid);
    }
}
