using System.Text;

namespace Chorus.Protocol;

/// <summary>Sizes of WebSocket messages (frames) that the server accepts.</summary>
public static class FrameLimits
{
    /// <summary>Default largest WebSocket message a client may send, in bytes: 16384 (setting Chorus:MaxFrameBytes;
    /// the server tells its value in the hello frame).</summary>
    public const int DefaultMaxFrameBytes = 16 * 1024;
    /// <summary>A message over MaxFrameBytes is read and discarded up to this size (1 MiB) and answered with 1000005;
    /// a larger one closes the connection with 1009 (message too big).</summary>
    public const int MaxDiscardedFrameBytes = 1024 * 1024;
}

/// <summary>Sizes and counts of the room signaling product, and the validation rules built on them.</summary>
public static class RoomLimits
{
    /// <summary>Longest RoomId, in bytes: 128.</summary>
    public const int MaxRoomIdBytes = 128;
    /// <summary>Longest UserId, in bytes: 64.</summary>
    public const int MaxUserIdBytes = 64;
    /// <summary>Longest UserName, in bytes: 255.</summary>
    public const int MaxUserNameBytes = 255;
    /// <summary>Longest custom command, broadcast or barrage message, in UTF-8 bytes: 1024.</summary>
    public const int MaxMessageBytes = 1024;
    /// <summary>Most users kicked by one KickoutUser call: 5.</summary>
    public const int MaxKickUsers = 5;
    /// <summary>Longest reason of a kick or a room close (CustomReason), in UTF-8 bytes: 256.</summary>
    public const int MaxKickReasonBytes = 256;
    /// <summary>Most target users of one custom command: 10.</summary>
    public const int MaxCustomCommandTargets = 10;
    /// <summary>Rooms of at most this many users get room user update events: 500.</summary>
    public const int MaxUserUpdateRoomSize = 500;
    /// <summary>Longest room extra info key, in bytes (exclusive bound of 128).</summary>
    public const int MaxExtraInfoKeyBytes = 127;
    /// <summary>Longest room extra info value, in bytes (exclusive bound of 4096).</summary>
    public const int MaxExtraInfoValueBytes = 4095;

    /// <summary>The 24 punctuation characters allowed in a RoomId besides ASCII letters and digits.</summary>
    public const string RoomIdPunctuation = "~!@#$%^&*()_+=-`;',.<>/\\";

    /// <summary>Checks a RoomId: 1–128 bytes of ASCII letters, digits and <see cref="RoomIdPunctuation"/>.</summary>
    /// <returns>0 when valid, else 1002011 (empty), 1002013 (too long) or 1002012 (bad character).</returns>
    public static int ValidateRoomId(string? roomId)
    {
        if (string.IsNullOrEmpty(roomId)) return RoomErrorCodes.RoomIdEmpty;
        if (Encoding.UTF8.GetByteCount(roomId) > MaxRoomIdBytes) return RoomErrorCodes.RoomIdTooLong;
        foreach (char c in roomId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !RoomIdPunctuation.Contains(c)) return RoomErrorCodes.RoomIdInvalid;
        }
        return RoomErrorCodes.Success;
    }

    /// <summary>The text for a code of <see cref="ValidateRoomId"/> or <see cref="ValidateUserId"/> (one text per code).</summary>
    public static string IdErrorText(int code) => code switch
    {
        RoomErrorCodes.RoomIdEmpty => "RoomId is empty",
        RoomErrorCodes.RoomIdTooLong => $"RoomId is longer than {MaxRoomIdBytes} bytes",
        RoomErrorCodes.RoomIdInvalid => $"RoomId holds a character outside the allowed set (ASCII letters, digits and {RoomIdPunctuation})",
        RoomErrorCodes.UserIdEmpty => "UserId is empty",
        RoomErrorCodes.UserIdTooLong => $"UserId is longer than {MaxUserIdBytes} bytes",
        RoomErrorCodes.UserIdInvalid => "UserId holds a control, invisible or direction-changing character",
        _ => "",
    };

    /// <summary>
    /// Checks a UserId: 1–64 bytes, no control, invisible or direction-changing characters (see <see cref="IsForbiddenIdRune"/>)
    /// and no unpaired surrogate, so that two IDs that look the same are the same.
    /// </summary>
    /// <returns>0 when valid, else 1002005 (empty), 1002007 (too long) or 1002006 (a forbidden character).</returns>
    public static int ValidateUserId(string? userId)
    {
        if (string.IsNullOrEmpty(userId)) return RoomErrorCodes.UserIdEmpty;
        if (Encoding.UTF8.GetByteCount(userId) > MaxUserIdBytes) return RoomErrorCodes.UserIdTooLong;
        return HasForbiddenIdCharacter(userId) ? RoomErrorCodes.UserIdInvalid : RoomErrorCodes.Success;
    }

    /// <summary>Whether <paramref name="id"/> holds an unpaired surrogate or a character <see cref="IsForbiddenIdRune"/> refuses.</summary>
    public static bool HasForbiddenIdCharacter(string id)
    {
        for (int i = 0; i < id.Length;)
        {
            if (Rune.DecodeFromUtf16(id.AsSpan(i), out var rune, out int used) != System.Buffers.OperationStatus.Done) return true;
            if (IsForbiddenIdRune(rune)) return true;
            i += used;
        }
        return false;
    }

    /// <summary>
    /// Characters no ID may hold, because they are invisible or look like something else: controls (Cc), format
    /// characters (Cf: zero-width spaces and joiners U+200B–U+200F, bidirectional embeddings, overrides and isolates
    /// U+202A–U+202E and U+2066–U+2069, the BOM U+FEFF, soft hyphen, tag characters and the like), line and paragraph
    /// separators (Zl, Zp), spaces other than U+0020 (Zs: no-break, en, em, ideographic...), noncharacters, and the rest
    /// of Unicode's default-ignorable code points (the combining grapheme joiner U+034F, variation selectors U+FE00–U+FE0F
    /// and U+E0100–U+E01EF, Hangul fillers U+115F, U+1160, U+3164, U+FFA0, Mongolian variation selectors and others).
    /// IDs are compared by code point: Chorus does not normalize them (a precomposed "í" and "i" + U+0301 are two IDs).
    /// </summary>
    public static bool IsForbiddenIdRune(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
            or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
            or System.Globalization.UnicodeCategory.Surrogate)
            return true;
        int v = rune.Value;
        if (category == System.Globalization.UnicodeCategory.SpaceSeparator && v != 0x20) return true;
        if ((v >= 0xFDD0 && v <= 0xFDEF) || (v & 0xFFFE) == 0xFFFE) return true; // noncharacters
        return IsDefaultIgnorable(v);
    }

    /// <summary>Unicode's Default_Ignorable_Code_Point ranges that are not already format characters (DerivedCoreProperties).</summary>
    private static bool IsDefaultIgnorable(int v) =>
        v == 0x034F || v == 0x115F || v == 0x1160 || v == 0x17B4 || v == 0x17B5 || (v >= 0x180B && v <= 0x180F)
        || (v >= 0x2060 && v <= 0x206F) || v == 0x3164 || (v >= 0xFE00 && v <= 0xFE0F) || v == 0xFFA0 || (v >= 0xFFF0 && v <= 0xFFF8)
        || (v >= 0x1BCA0 && v <= 0x1BCA3) || (v >= 0x1D173 && v <= 0x1D17A) || (v >= 0xE0000 && v <= 0xE0FFF);

    /// <summary>Checks message content: 1–1024 UTF-8 bytes.</summary>
    /// <returns>0 when valid, else 1009001 (empty) or 1009002 (too long).</returns>
    public static int ValidateContent(string? content)
    {
        if (string.IsNullOrEmpty(content)) return RoomErrorCodes.ContentEmpty;
        if (Encoding.UTF8.GetByteCount(content) > MaxMessageBytes) return RoomErrorCodes.ContentTooLong;
        return RoomErrorCodes.Success;
    }

    /// <summary>Checks a room extra info key (1–127 bytes) and value (under 4096 bytes); both are refused with 1009002.</summary>
    /// <returns>Null when valid, else the text of the refusal (the server's and the SDK's).</returns>
    public static string? ExtraInfoProblem(string? key, string? value)
    {
        if (string.IsNullOrEmpty(key) || Encoding.UTF8.GetByteCount(key) > MaxExtraInfoKeyBytes) return "extra info key must be 1-127 bytes";
        if (value is not null && Encoding.UTF8.GetByteCount(value) > MaxExtraInfoValueBytes) return "extra info value must be under 4096 bytes";
        return null;
    }

    /// <summary>Whether a UserName fits: absent, or at most <see cref="MaxUserNameBytes"/> UTF-8 bytes.</summary>
    public static bool IsValidUserName(string? userName) => userName is null || Encoding.UTF8.GetByteCount(userName) <= MaxUserNameBytes;

    /// <summary>Checks the target list of a custom command: at most 10 users, each 1–64 bytes.</summary>
    /// <returns>0 when valid, else 1009013 (too many), 1009011 (an empty id), 1009012 (an id over 64 bytes) or 1002006
    /// (an id with a character <see cref="ValidateUserId"/> refuses).</returns>
    public static int ValidateTargets(IReadOnlyList<string>? targets)
    {
        if (targets is null) return RoomErrorCodes.Success;
        if (targets.Count > MaxCustomCommandTargets) return RoomErrorCodes.TooManyTargets;
        foreach (string t in targets)
        {
            if (string.IsNullOrEmpty(t)) return RoomErrorCodes.TargetUserIdEmpty;
            if (Encoding.UTF8.GetByteCount(t) > MaxUserIdBytes) return RoomErrorCodes.TargetUserIdTooLong;
            if (HasForbiddenIdCharacter(t)) return RoomErrorCodes.UserIdInvalid;
        }
        return RoomErrorCodes.Success;
    }
}
