using Chorus.Protocol;

namespace Chorus.Server.Chat;

/// <summary>What kind of refusal a <see cref="ChatError"/> is, beyond its code, for callers with their own numbering (the server API).</summary>
public enum ChatErrorKind
{
    /// <summary>Nothing more specific than the code.</summary>
    Other,
    /// <summary>Message content over its byte limit (the WebSocket answer is still 6000001; the server API's is 660400001).</summary>
    TooLarge,
}

/// <summary>A refused chat request: the ZIM code and the message the client gets, and its kind.</summary>
/// <param name="Code">The code (<see cref="ChatErrorCodes"/>, or a room code for a throttled login).</param>
/// <param name="Message">The message, as the client reads it.</param>
/// <param name="Kind">The kind of refusal, for callers that map it to another numbering.</param>
public readonly record struct ChatError(int Code, string Message, ChatErrorKind Kind = ChatErrorKind.Other)
{
    /// <summary>A 6000001 refusal.</summary>
    public static ChatError BadParameter(string message) => new(ChatErrorCodes.BadParameter, message);

    /// <summary>The group does not exist (6000523).</summary>
    public static ChatError GroupMissing => new(ChatErrorCodes.GroupMissing, "the group does not exist");

    /// <summary>The caller is not a member of the group (6000541).</summary>
    public static ChatError NotGroupMember => new(ChatErrorCodes.NoPermission, "not a member of this group");

    /// <summary>The caller is not in the chat room (6000321).</summary>
    public static ChatError NotInRoom => new(ChatErrorCodes.NotInRoom, "not in this room");

    /// <summary>The chat room does not exist (6000301).</summary>
    public static ChatError RoomMissing => new(ChatErrorCodes.RoomMissing, "the room does not exist");
}

/// <summary>The outcome of a chat call: a value, or the refusal.</summary>
/// <typeparam name="T">The value's type.</typeparam>
public readonly struct ChatResult<T> where T : class
{
    private ChatResult(T? value, ChatError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value (null when refused).</summary>
    public T? Value { get; }

    /// <summary>The refusal, or null on success.</summary>
    public ChatError? Error { get; }

    /// <summary>A success.</summary>
    public static implicit operator ChatResult<T>(T value) => new(value, null);

    /// <summary>A refusal.</summary>
    public static implicit operator ChatResult<T>(ChatError error) => new(null, error);
}
