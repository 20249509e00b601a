using Chorus.Protocol;

namespace Chorus.Server.Rooms;

/// <summary>A client's login to a room (op <c>login</c>). Fields as the client sent them; the room core checks them.</summary>
/// <param name="RoomId">The room (1-128 bytes of the allowed characters).</param>
/// <param name="UserId">The user (1-64 bytes).</param>
/// <param name="UserName">The display name (at most 255 bytes; the UserId when null).</param>
/// <param name="Token">The Token04 for this user and room.</param>
/// <param name="MaxMemberCount">The room's capacity when this login creates it (0 or null: unlimited).</param>
/// <param name="UserStatusNotify">Whether the user gets user-update events (default true).</param>
public readonly record struct RoomLoginRequest(string? RoomId, string? UserId, string? UserName, string? Token, int? MaxMemberCount = null, bool? UserStatusNotify = null);

/// <summary>A token renewal for one room login (op <c>renewToken</c>).</summary>
/// <param name="RoomId">The room logged into.</param>
/// <param name="Token">The new Token04.</param>
public readonly record struct RoomRenewTokenRequest(string? RoomId, string? Token);

/// <summary>A custom command, broadcast or barrage message from a member (ops <c>customCommand</c>, <c>broadcast</c>, <c>barrage</c>).</summary>
/// <param name="RoomId">The room the sender is logged into.</param>
/// <param name="Content">The content (1-1024 bytes).</param>
/// <param name="ToUserIds">Custom commands only: the target users (at most 10; none = everyone in the room).</param>
public readonly record struct RoomMessageRequest(string? RoomId, string? Content, string[]? ToUserIds = null);

/// <summary>A room extra info change (op <c>setExtraInfo</c>).</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Key">The key (1-127 bytes).</param>
/// <param name="Value">The value (under 4096 bytes).</param>
public readonly record struct RoomExtraInfoRequest(string? RoomId, string? Key, string? Value);

/// <summary>The room core's answer to a request; <see cref="RoomOps"/> turns it into the op's result record.</summary>
public struct RoomReply
{
    /// <summary>0 on success, else a room error code (<see cref="RoomErrorCodes"/>).</summary>
    public int Code { get; set; }
    /// <summary>Why it was refused (or a note such as "already logged in").</summary>
    public string? Message { get; set; }
    /// <summary>The room the answer is about.</summary>
    public string? RoomId { get; set; }
    /// <summary>Login: the other users in the room.</summary>
    public WireUser[]? Users { get; set; }
    /// <summary>Login: the number of users in the room.</summary>
    public int? Count { get; set; }
    /// <summary>Broadcast: its MessageId.</summary>
    public long? MessageId { get; set; }
    /// <summary>Barrage: its id.</summary>
    public string? BarrageId { get; set; }
}
