using Chorus.Protocol;

namespace Chorus.Client;

/// <summary>A user in a room.</summary>
/// <param name="UserId">UserId, 1–64 bytes.</param>
/// <param name="UserName">Display name, up to 255 bytes.</param>
public sealed record RoomUser(string UserId, string UserName)
{
    /// <summary>A user whose name is its id.</summary>
    public RoomUser(string userId) : this(userId, userId) { }
}

/// <summary>Settings of one room login.</summary>
public sealed record RoomConfig
{
    /// <summary>The Token04 that authorizes the login (required by the server).</summary>
    public string? Token { get; init; }
    /// <summary>Room capacity, set by the room's first user; 0 = unlimited. A full room refuses logins with 1002034.</summary>
    public int MaxMemberCount { get; init; }
    /// <summary>Whether to receive room user update events. Default true.</summary>
    public bool IsUserStatusNotify { get; init; } = true;
}

/// <summary>Result of <see cref="ChorusRoomClient.LoginRoomAsync"/>.</summary>
/// <param name="ErrorCode">0 on success, else a code of <see cref="RoomErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong, when something did.</param>
/// <param name="Users">Users already in the room (on success).</param>
public sealed record RoomLoginResult(int ErrorCode, string? ErrorMessage, IReadOnlyList<RoomUser> Users);

/// <summary>Result of an operation that returns only a code.</summary>
/// <param name="ErrorCode">0 on success, else a code of <see cref="RoomErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong, when something did.</param>
public sealed record RoomOperationResult(int ErrorCode, string? ErrorMessage);

/// <summary>Result of <see cref="ChorusRoomClient.SendCustomCommandAsync"/>.</summary>
/// <param name="ErrorCode">0 on success, else a code of <see cref="RoomErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong, when something did.</param>
public sealed record CustomCommandSendResult(int ErrorCode, string? ErrorMessage);

/// <summary>Result of <see cref="ChorusRoomClient.SendBroadcastMessageAsync"/>.</summary>
/// <param name="ErrorCode">0 on success, else a code of <see cref="RoomErrorCodes"/> (1009015 over the rate).</param>
/// <param name="MessageId">The message's id (0 on failure).</param>
/// <param name="ErrorMessage">What went wrong, when something did.</param>
public sealed record BroadcastMessageSendResult(int ErrorCode, long MessageId, string? ErrorMessage);

/// <summary>Result of <see cref="ChorusRoomClient.SendBarrageMessageAsync"/>.</summary>
/// <param name="ErrorCode">0 on success, else a code of <see cref="RoomErrorCodes"/>.</param>
/// <param name="MessageId">The message's id, such as <c>1_1611647493487_29</c> (empty on failure).</param>
/// <param name="ErrorMessage">What went wrong, when something did.</param>
public sealed record BarrageMessageSendResult(int ErrorCode, string MessageId, string? ErrorMessage);

/// <summary>A custom command received.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="FromUser">The sender.</param>
/// <param name="Command">The content.</param>
public sealed record CustomCommandReceived(string RoomId, RoomUser FromUser, string Command);

/// <summary>One broadcast message.</summary>
/// <param name="Message">The content.</param>
/// <param name="MessageId">Its id.</param>
/// <param name="SendTime">Send time, Unix ms.</param>
/// <param name="FromUser">The sender.</param>
public sealed record BroadcastMessageInfo(string Message, long MessageId, long SendTime, RoomUser FromUser);

/// <summary>Broadcast messages received.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Messages">The messages, in order.</param>
public sealed record BroadcastMessagesReceived(string RoomId, IReadOnlyList<BroadcastMessageInfo> Messages);

/// <summary>One barrage message.</summary>
/// <param name="Message">The content.</param>
/// <param name="MessageId">Its id.</param>
/// <param name="SendTime">Send time, Unix ms.</param>
/// <param name="FromUser">The sender.</param>
public sealed record BarrageMessageInfo(string Message, string MessageId, long SendTime, RoomUser FromUser);

/// <summary>Barrage messages received.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Messages">The messages, in order.</param>
public sealed record BarrageMessagesReceived(string RoomId, IReadOnlyList<BarrageMessageInfo> Messages);

/// <summary>Whether users joined or left.</summary>
public enum RoomUpdateType
{
    /// <summary>Users joined.</summary>
    Add = 0,
    /// <summary>Users left.</summary>
    Delete = 1,
}

/// <summary>Users joined or left a room.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="UpdateType">Add or Delete.</param>
/// <param name="Users">The users.</param>
public sealed record RoomUserUpdated(string RoomId, RoomUpdateType UpdateType, IReadOnlyList<RoomUser> Users);

/// <summary>The online user count of a room (every 30 s by default).</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Count">Users online.</param>
public sealed record RoomOnlineUserCountUpdated(string RoomId, int Count);

/// <summary>A room's state changed.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Reason">Why.</param>
/// <param name="ErrorCode">The error behind it, or 0.</param>
/// <param name="ExtendedData">Extra text (e.g. the server API's CustomReason).</param>
public sealed record RoomStateChanged(string RoomId, RoomStateReason Reason, int ErrorCode, string? ExtendedData);

/// <summary>A room extra info key changed (not sent to the member who set it).</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The new value.</param>
/// <param name="UpdateUser">Who set it.</param>
public sealed record RoomExtraInfoUpdated(string RoomId, string Key, string Value, RoomUser UpdateUser);

/// <summary>The room's token expires soon: call <see cref="ChorusRoomClient.RenewTokenAsync"/>.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="RemainTimeInSecond">Seconds left.</param>
public sealed record RoomTokenWillExpire(string RoomId, int RemainTimeInSecond);
