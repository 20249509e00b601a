using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>The claims inside a Token04, as ZEGO's token generator writes them.</summary>
/// <param name="AppId">The app the token was issued for.</param>
/// <param name="UserId">The user the token was issued to.</param>
/// <param name="Nonce">A random number.</param>
/// <param name="CreatedAt">Issue time, Unix seconds (<c>ctime</c>).</param>
/// <param name="ExpiresAt">Expiry time, Unix seconds (<c>expire</c>).</param>
/// <param name="Payload">Optional privilege payload; empty allows any room.</param>
public sealed record Token04Claims(
    [property: JsonPropertyName("app_id")] uint AppId,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("nonce")] long Nonce,
    [property: JsonPropertyName("ctime")] long CreatedAt,
    [property: JsonPropertyName("expire")] long ExpiresAt,
    [property: JsonPropertyName("payload")] string? Payload);

/// <summary>What checking a Token04 found.</summary>
public enum Token04Status
{
    /// <summary>The token is valid for this app, user and (if given) room.</summary>
    Valid,
    /// <summary>The token is malformed, forged, or for another app, user or room.</summary>
    Invalid,
    /// <summary>The token was valid but has expired.</summary>
    Expired,
}

/// <summary>The result of <see cref="Token04.Verify(string?, uint, string, string, DateTimeOffset, string?, Token04Policy)"/>.</summary>
/// <param name="Status">Valid, invalid or expired.</param>
/// <param name="Claims">The decrypted claims, when the token could be decrypted.</param>
/// <param name="Reason">Why the token was refused, for error messages (never contains the secret).</param>
public readonly record struct Token04Verification(Token04Status Status, Token04Claims? Claims, string Reason);

/// <summary>
/// ZEGO's Token04: <c>"04" + Base64(expire int64 BE, uint16 nonceLen, nonce, uint16 cipherLen, cipher [, uint8 mode])</c>.
/// The GCM form (12-byte nonce, ciphertext + 16-byte tag, mode byte 1) is what Chorus issues;
/// the legacy CBC form (16-character IV of [0-9a-z], PKCS#7, no mode byte) is accepted.
/// The key is the app's 32-byte ServerSecret.
/// </summary>
public static class Token04
{
    private const string VersionPrefix = "04";
    private const byte GcmMode = 1;
    private const int GcmNonceBytes = 12;
    private const int GcmTagBytes = 16;
    /// <summary>The longest token Chorus will try to decode, in characters (guards the parser).</summary>
    public const int MaxTokenLength = 8192;

    /// <summary>
    /// Issues a GCM Token04.
    /// </summary>
    /// <param name="appId">AppId; must not be 0.</param>
    /// <param name="userId">UserId; must not be empty.</param>
    /// <param name="serverSecret">The app's ServerSecret; exactly 32 bytes.</param>
    /// <param name="lifetimeSeconds">Seconds until expiry; must be &gt; 0.</param>
    /// <param name="payload">Optional privilege payload (see <see cref="RoomPayload"/>).</param>
    /// <param name="now">The current time; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">A parameter breaks the rules above.</exception>
    public static string Generate(uint appId, string userId, string serverSecret, long lifetimeSeconds, string? payload = null, DateTimeOffset? now = null)
    {
        if (appId == 0) throw new ArgumentException("AppId must not be 0.", nameof(appId));
        if (string.IsNullOrEmpty(userId)) throw new ArgumentException("UserId must not be empty.", nameof(userId));
        if (serverSecret is null || Encoding.UTF8.GetByteCount(serverSecret) != 32)
            throw new ArgumentException("The ServerSecret must be exactly 32 bytes.", nameof(serverSecret));
        if (lifetimeSeconds <= 0) throw new ArgumentException("The token lifetime must be greater than 0 seconds.", nameof(lifetimeSeconds));

        long created = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var claims = new Token04Claims(appId, userId, RandomNumberGenerator.GetInt32(int.MaxValue), created, created + lifetimeSeconds, payload ?? "");
        return Encode(claims, serverSecret, RandomNumberGenerator.GetBytes(GcmNonceBytes));
    }

    /// <summary>Encrypts <paramref name="claims"/> with a given GCM nonce (the known-answer test fixes it; issuing uses a random one).</summary>
    internal static string Encode(Token04Claims claims, string serverSecret, byte[] nonce)
    {
        byte[] plain = JsonSerializer.SerializeToUtf8Bytes(claims, ProtocolJsonContext.Default.Token04Claims);
        byte[] cipher = new byte[plain.Length + GcmTagBytes];
        using (var gcm = new AesGcm(Encoding.UTF8.GetBytes(serverSecret), GcmTagBytes))
        {
            gcm.Encrypt(nonce, plain, cipher.AsSpan(0, plain.Length), cipher.AsSpan(plain.Length));
        }

        byte[] record = new byte[8 + 2 + nonce.Length + 2 + cipher.Length + 1];
        var span = record.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, claims.ExpiresAt);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], (ushort)nonce.Length);
        nonce.CopyTo(span[10..]);
        int at = 10 + nonce.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)cipher.Length);
        cipher.CopyTo(span[(at + 2)..]);
        record[^1] = GcmMode;
        return VersionPrefix + Convert.ToBase64String(record);
    }

    /// <summary>
    /// Decrypts and checks a token under <see cref="Token04Policy.Default"/> (GCM only, no lifetime cap, 5 minutes of
    /// clock skew). See <see cref="Verify(string?, uint, string, string, DateTimeOffset, string?, Token04Policy)"/>.
    /// </summary>
    public static Token04Verification Verify(string? token, uint appId, string userId, string serverSecret, DateTimeOffset now, string? roomId = null) =>
        Verify(token, appId, userId, serverSecret, now, roomId, Token04Policy.Default);

    /// <summary>
    /// Decrypts and checks a token: it must decrypt with <paramref name="serverSecret"/> (the legacy CBC form only when
    /// <see cref="Token04Policy.AllowLegacyCbc"/>), name <paramref name="appId"/> and <paramref name="userId"/>, carry the
    /// same expiry inside as outside, have a lifetime (<c>expire - ctime</c>) above 0 and within
    /// <see cref="Token04Policy.MaxLifetime"/>, not be issued in the future (<c>ctime</c> beyond now plus
    /// <see cref="Token04Policy.ClockSkew"/>), and, when <paramref name="roomId"/> is given and the payload names a room,
    /// allow logging into that room; with <see cref="Token04Policy.RefuseRoomPayload"/> a payload naming a room (or
    /// denying the login privilege, or not parsing) is refused outright. Only a token that passes every one of these checks
    /// and is past its expiry is <see cref="Token04Status.Expired"/>: that answer needs a genuine token, so it tells an
    /// attacker nothing. Never throws on bad input. <see cref="Token04Verification.Reason"/> is for server logs only.
    /// </summary>
    public static Token04Verification Verify(string? token, uint appId, string userId, string serverSecret, DateTimeOffset now, string? roomId, Token04Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!TryDecrypt(token, serverSecret, out var claims, out string reason, out long headerExpire, policy.AllowLegacyCbc))
            return new(Token04Status.Invalid, null, reason);
        if (claims!.AppId != appId) return new(Token04Status.Invalid, claims, "token was issued for another AppId");
        if (!string.Equals(claims.UserId, userId, StringComparison.Ordinal)) return new(Token04Status.Invalid, claims, "token was issued for another UserId");
        if (headerExpire != claims.ExpiresAt) return new(Token04Status.Invalid, claims, "token's outer expiry differs from its encrypted one");
        long lifetime = claims.ExpiresAt - claims.CreatedAt;
        if (lifetime <= 0) return new(Token04Status.Invalid, claims, "token expires before it was issued");
        if (policy.MaxLifetime is { } max && lifetime > (long)max.TotalSeconds)
            return new(Token04Status.Invalid, claims, $"token lifetime {lifetime} s exceeds the {(long)max.TotalSeconds} s maximum");
        long nowSeconds = now.ToUnixTimeSeconds();
        if (claims.CreatedAt > nowSeconds + (long)policy.ClockSkew.TotalSeconds)
            return new(Token04Status.Invalid, claims, $"token was issued {claims.CreatedAt - nowSeconds} s in the future");
        if (policy.RefuseRoomPayload && !RoomPayload.IsUnscoped(claims.Payload, out string scopeReason))
            return new(Token04Status.Invalid, claims, scopeReason);
        if (roomId is not null && !RoomPayload.AllowsLogin(claims.Payload, roomId, out string payloadReason))
            return new(Token04Status.Invalid, claims, payloadReason);
        if (nowSeconds >= claims.ExpiresAt) return new(Token04Status.Expired, claims, "token has expired");
        return new(Token04Status.Valid, claims, "ok");
    }

    /// <summary>Decrypts a token of either form (CBC only when <paramref name="allowLegacyCbc"/>). Returns false with a
    /// reason (for logs only) on any malformed or forged input.</summary>
    public static bool TryDecrypt(string? token, string serverSecret, out Token04Claims? claims, out string reason, bool allowLegacyCbc = false) =>
        TryDecrypt(token, serverSecret, out claims, out reason, out _, allowLegacyCbc);

    private static bool TryDecrypt(string? token, string serverSecret, out Token04Claims? claims, out string reason, out long headerExpire, bool allowLegacyCbc)
    {
        claims = null;
        headerExpire = 0;
        if (string.IsNullOrEmpty(token)) { reason = "token is empty"; return false; }
        if (token.Length > MaxTokenLength) { reason = "token is too long"; return false; }
        if (!token.StartsWith(VersionPrefix, StringComparison.Ordinal)) { reason = "token is not version 04"; return false; }
        byte[] key = Encoding.UTF8.GetBytes(serverSecret);
        if (key.Length != 32) { reason = "server secret is not 32 bytes"; return false; }

        byte[] record;
        try { record = Convert.FromBase64String(token[2..]); }
        catch (FormatException) { reason = "token is not valid Base64"; return false; }

        var span = (ReadOnlySpan<byte>)record;
        if (span.Length < 12) { reason = "token is truncated"; return false; }
        headerExpire = BinaryPrimitives.ReadInt64BigEndian(span);
        int nonceLen = BinaryPrimitives.ReadUInt16BigEndian(span[8..]);
        if (span.Length < 10 + nonceLen + 2) { reason = "token is truncated"; return false; }
        var nonce = span.Slice(10, nonceLen);
        int at = 10 + nonceLen;
        int cipherLen = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
        at += 2;
        if (span.Length < at + cipherLen) { reason = "token is truncated"; return false; }
        var cipher = span.Slice(at, cipherLen);
        int trailing = span.Length - at - cipherLen;

        if (trailing == 1 && span[^1] == GcmMode)
        {
            byte[]? plain = DecryptGcm(key, nonce, cipher);
            if (plain is null) { reason = "token does not decrypt with this app's secret"; return false; }
            claims = ParseClaims(plain);
        }
        else if (trailing == 0)
        {
            if (!allowLegacyCbc) { reason = "token is in the legacy CBC form, which this app does not accept"; return false; }
            if (nonce.Length != 16 || cipher.Length == 0 || cipher.Length % 16 != 0) { reason = "token has a malformed CBC layout"; return false; }
            // A padding oracle lives in any difference between "bad padding" and "bad content". So the padding is
            // checked without a branch or exception, the claims are parsed whatever the padding said, and the two
            // results are combined only at the end: the same work, and one answer, either way.
            claims = DecryptCbc(key, nonce, cipher, out bool paddingOk);
            if (!paddingOk) claims = null;
        }
        else { reason = "token has an unknown encryption mode"; return false; }

        if (claims is null || claims.UserId is null) { claims = null; reason = "token does not decrypt to valid claims with this app's secret"; return false; }
        reason = "ok";
        return true;
    }

    private static Token04Claims? ParseClaims(ReadOnlySpan<byte> plain)
    {
        try { return JsonSerializer.Deserialize(plain, ProtocolJsonContext.Default.Token04Claims); }
        catch (JsonException) { return null; }
    }

    private static byte[]? DecryptGcm(byte[] key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> cipher)
    {
        if (nonce.Length != GcmNonceBytes || cipher.Length < GcmTagBytes) return null;
        byte[] plain = new byte[cipher.Length - GcmTagBytes];
        try
        {
            using var gcm = new AesGcm(key, GcmTagBytes);
            gcm.Decrypt(nonce, cipher[..^GcmTagBytes], cipher[^GcmTagBytes..], plain);
            return plain;
        }
        catch (CryptographicException) { return null; }
    }

    /// <summary>
    /// Decrypts CBC without padding removal (no exception path), checks PKCS#7 padding in constant time, and parses
    /// the claims from the unpadded length (or the full length when the padding is bad) either way.
    /// </summary>
    private static Token04Claims? DecryptCbc(byte[] key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> cipher, out bool paddingOk)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        byte[] plain = aes.DecryptCbc(cipher, iv, PaddingMode.None);
        int bad = CheckPkcs7(plain, out int pad);
        paddingOk = bad == 0;
        // bad == 0 → strip pad; else keep the full length. Chosen by mask, not by branch.
        int mask = ((bad | -bad) >> 31); // 0 when bad == 0, else -1
        int length = plain.Length - (pad & ~mask);
        return ParseClaims(plain.AsSpan(0, length));
    }

    /// <summary>PKCS#7 check of the last block without data-dependent branches: 0 when valid, else non-zero.
    /// Always reads the last 16 bytes; <paramref name="pad"/> is the last byte as read.</summary>
    private static int CheckPkcs7(ReadOnlySpan<byte> plain, out int pad)
    {
        pad = plain[^1];
        int bad = ((pad - 1) | (16 - pad)) >> 31; // -1 when pad is 0 or above 16
        for (int i = 1; i <= 16; i++)
        {
            int inPad = (i - pad - 1) >> 31; // -1 when byte i (from the end) is padding
            bad |= inPad & (plain[^i] ^ pad);
        }
        return bad;
    }
}

/// <summary>What <see cref="Token04.Verify(string?, uint, string, string, DateTimeOffset, string?, Token04Policy)"/> accepts beyond the cryptography.</summary>
public sealed record Token04Policy
{
    /// <summary>GCM only, no lifetime cap, 5 minutes of clock skew, room payloads checked against the room (if any).</summary>
    public static Token04Policy Default { get; } = new();

    /// <summary>Accept the legacy CBC form (unauthenticated encryption). Off by default.</summary>
    public bool AllowLegacyCbc { get; init; }

    /// <summary>The longest lifetime (<c>expire - ctime</c>) accepted; null for no cap.</summary>
    public TimeSpan? MaxLifetime { get; init; }

    /// <summary>How far in the future <c>ctime</c> may be (the issuer's clock may run ahead). Default 5 minutes.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Refuse a token whose payload names a room, denies the login privilege or does not parse (for chat logins,
    /// where a room-scoped token was meant to grant less).</summary>
    public bool RefuseRoomPayload { get; init; }
}

/// <summary>The room privilege payload of a Token04: <c>{"room_id":"r1","privilege":{"1":1,"2":0},"stream_id_list":null}</c>.</summary>
public static class RoomPayload
{
    /// <summary>Builds a payload that allows logging into <paramref name="roomId"/> (privilege 1) and publishing (privilege 2) as given.</summary>
    public static string Create(string roomId, bool canLogin = true, bool canPublish = true) =>
        JsonSerializer.Serialize(new RoomPrivilegePayload(roomId, new Dictionary<string, int> { ["1"] = canLogin ? 1 : 0, ["2"] = canPublish ? 1 : 0 }, null),
            ProtocolJsonContext.Default.RoomPrivilegePayload);

    /// <summary>Whether a payload is unscoped: empty, or JSON that names no room and does not deny the login privilege.</summary>
    public static bool IsUnscoped(string? payload, out string reason) => Check(payload, roomId: null, out reason);

    /// <summary>Whether a payload allows logging into <paramref name="roomId"/>. An empty payload allows any room.</summary>
    public static bool AllowsLogin(string? payload, string roomId, out string reason) => Check(payload, roomId, out reason);

    /// <summary>The one payload rule: valid JSON (or empty), the login privilege not denied, and no room named other than
    /// <paramref name="roomId"/> (with <paramref name="roomId"/> null, no room named at all).</summary>
    private static bool Check(string? payload, string? roomId, out string reason)
    {
        reason = "ok";
        if (string.IsNullOrWhiteSpace(payload)) return true;
        RoomPrivilegePayload? p;
        try { p = JsonSerializer.Deserialize(payload, ProtocolJsonContext.Default.RoomPrivilegePayload); }
        catch (JsonException) { reason = "token payload is not valid JSON"; return false; }
        if (p is null) return true;
        if (!string.IsNullOrEmpty(p.RoomId) && !string.Equals(p.RoomId, roomId, StringComparison.Ordinal))
        {
            reason = roomId is null ? "token is scoped to a room" : "token is for another room";
            return false;
        }
        if (p.Privilege is not null && p.Privilege.TryGetValue("1", out int login) && login == 0)
        {
            reason = "token does not grant the login privilege";
            return false;
        }
        return true;
    }
}

/// <summary>The JSON shape of a room privilege payload.</summary>
/// <param name="RoomId">The room the privileges apply to.</param>
/// <param name="Privilege">"1" = log into the room, "2" = publish; 1 allow, 0 deny.</param>
/// <param name="StreamIdList">Streams the user may publish (unused by Chorus).</param>
public sealed record RoomPrivilegePayload(
    [property: JsonPropertyName("room_id")] string? RoomId,
    [property: JsonPropertyName("privilege")] Dictionary<string, int>? Privilege,
    [property: JsonPropertyName("stream_id_list")] string[]? StreamIdList);
