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

    /// <summary>Checks a UserId: 1–64 bytes, no control characters.</summary>
    /// <returns>0 when valid, else 1002005 (empty), 1002007 (too long) or 1002006 (control character).</returns>
    public static int ValidateUserId(string? userId)
    {
        if (string.IsNullOrEmpty(userId)) return RoomErrorCodes.UserIdEmpty;
        if (Encoding.UTF8.GetByteCount(userId) > MaxUserIdBytes) return RoomErrorCodes.UserIdTooLong;
        foreach (char c in userId)
        {
            if (char.IsControl(c)) return RoomErrorCodes.UserIdInvalid;
        }
        return RoomErrorCodes.Success;
    }

    /// <summary>Checks message content: 1–1024 UTF-8 bytes.</summary>
    /// <returns>0 when valid, else 1009001 (empty) or 1009002 (too long).</returns>
    public static int ValidateContent(string? content)
    {
        if (string.IsNullOrEmpty(content)) return RoomErrorCodes.ContentEmpty;
        if (Encoding.UTF8.GetByteCount(content) > MaxMessageBytes) return RoomErrorCodes.ContentTooLong;
        return RoomErrorCodes.Success;
    }

    /// <summary>Checks a room extra info key (1–127 bytes) and value (under 4096 bytes).</summary>
    /// <returns>0 when valid, else 1009002 (the server's code for both).</returns>
    public static int ValidateExtraInfo(string? key, string? value)
    {
        if (string.IsNullOrEmpty(key) || Encoding.UTF8.GetByteCount(key) > MaxExtraInfoKeyBytes) return RoomErrorCodes.ContentTooLong;
        if (value is not null && Encoding.UTF8.GetByteCount(value) > MaxExtraInfoValueBytes) return RoomErrorCodes.ContentTooLong;
        return RoomErrorCodes.Success;
    }

    /// <summary>Checks the target list of a custom command: at most 10 users, each 1–64 bytes.</summary>
    /// <returns>0 when valid, else 1009013 (too many), 1009011 (an empty id) or 1009012 (an id over 64 bytes).</returns>
    public static int ValidateTargets(IReadOnlyList<string>? targets)
    {
        if (targets is null) return RoomErrorCodes.Success;
        if (targets.Count > MaxCustomCommandTargets) return RoomErrorCodes.TooManyTargets;
        foreach (string t in targets)
        {
            if (string.IsNullOrEmpty(t)) return RoomErrorCodes.TargetUserIdEmpty;
            if (Encoding.UTF8.GetByteCount(t) > MaxUserIdBytes) return RoomErrorCodes.TargetUserIdTooLong;
        }
        return RoomErrorCodes.Success;
    }
}
