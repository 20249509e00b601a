namespace Chorus.Server.Rooms;

/// <summary>Which members of a room a room-wide delivery reaches.</summary>
public enum RoomAudience
{
    /// <summary>Every member (but the excepted user).</summary>
    Everyone = 0,
    /// <summary>Only members that asked for user updates at login (<c>userStatusNotify</c>).</summary>
    StatusSubscribers = 1,
}

/// <summary>What a join did.</summary>
public enum RoomJoinStatus
{
    /// <summary>The member is in the room (a previous login of the same user, if any, was replaced).</summary>
    Joined = 0,
    /// <summary>The room is at its MaxMemberCount; nothing changed.</summary>
    RoomFull = 1,
}

/// <summary>The outcome of <see cref="IRoomLifetimeManager.Join"/>.</summary>
/// <param name="Status">Whether the member joined.</param>
/// <param name="Room">The room joined (or found full).</param>
/// <param name="Member">The new member (null when the room was full).</param>
/// <param name="IsNewRoom">True when this join created the room.</param>
/// <param name="Replaced">The same user's previous login to the room, now removed (it is told it was kicked by the caller).</param>
public readonly record struct RoomJoinResult(RoomJoinStatus Status, Room Room, RoomMember? Member, bool IsNewRoom, RoomMember? Replaced);

/// <summary>
/// Room presence and delivery, the seam between the room core and where members are: modelled on SignalR's
/// <c>HubLifetimeManager</c> (rooms are its groups, a user is in a room over one connection at a time).
/// The in-process implementation (<see cref="InProcessRoomLifetimeManager"/>) is the default; a cross-node one (bus)
/// must pass the same conformance suite. Rooms are keyed by (AppId, RoomId): nothing crosses between apps.
/// Delivery never waits for a recipient: frames are queued (<see cref="IClientConnection.Send"/>); one encoded frame is
/// shared by every recipient.
/// </summary>
public interface IRoomLifetimeManager
{
    /// <summary>
    /// Adds a member to a room, creating the room with <paramref name="createRoom"/> when it does not exist. A login of
    /// the same user already in the room is replaced (returned in <see cref="RoomJoinResult.Replaced"/>). A full room
    /// (its MaxMemberCount reached, the user not in it) is refused with <see cref="RoomJoinStatus.RoomFull"/>.
    /// <paramref name="createMember"/> runs under the room's lock just before the member is added (at most once), so that
    /// the caller can record the login where a concurrent kick will find it.
    /// </summary>
    RoomJoinResult Join(uint appId, string roomId, string userId, Func<Room> createRoom, Func<Room, RoomMember> createMember);

    /// <summary>
    /// Removes a member if it is still its user's login in its room. Returns false when it was not (already left or
    /// replaced). <paramref name="roomClosed"/> is true when the room became empty and closed.
    /// </summary>
    bool Leave(RoomMember member, out bool roomClosed);

    /// <summary>Delivers a frame to the members of a room, except the member of <paramref name="exceptUserId"/>.</summary>
    void SendToRoom(uint appId, string roomId, EncodedFrame frame, Delivery delivery, string? exceptUserId = null, RoomAudience audience = RoomAudience.Everyone);

    /// <summary>Delivers a frame to the listed users of a room (those in it), except <paramref name="exceptUserId"/>.</summary>
    void SendToUsers(uint appId, string roomId, IReadOnlyList<string> userIds, EncodedFrame frame, Delivery delivery, string? exceptUserId = null);

    /// <summary>Delivers a frame to one connection.</summary>
    void SendToConnection(IClientConnection connection, EncodedFrame frame, Delivery delivery);

    /// <summary>The number of members of a room now (0 when it does not exist).</summary>
    int Count(uint appId, string roomId);

    /// <summary>The members of a room now (empty when it does not exist); an immutable snapshot.</summary>
    IReadOnlyList<RoomMember> List(uint appId, string roomId);

    /// <summary>The member of <paramref name="userId"/> in a room now, or null.</summary>
    RoomMember? Find(uint appId, string roomId, string userId);

    /// <summary>Whether <paramref name="userId"/> is in the room now.</summary>
    bool IsOnline(uint appId, string roomId, string userId);

    /// <summary>The room now, or null when nobody is in it.</summary>
    Room? FindRoom(uint appId, string roomId);

    /// <summary>The rooms with members on this node (a moment's view), for periodic work such as online counts.</summary>
    IEnumerable<Room> Rooms { get; }
}
