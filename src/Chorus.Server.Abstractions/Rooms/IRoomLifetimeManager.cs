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

/// <summary>A login to add to a room (<see cref="IRoomLifetimeManager.JoinAsync"/>).</summary>
/// <param name="Connection">The connection the user logs in over (on this node).</param>
/// <param name="RoomId">The room.</param>
/// <param name="UserId">The user.</param>
/// <param name="UserName">The user's display name.</param>
/// <param name="LoginTimeMs">Login time, Unix ms.</param>
/// <param name="MaxMemberCount">The room's capacity if this login creates it (0 = unlimited).</param>
public readonly record struct RoomJoinRequest(IClientConnection Connection, string RoomId, string UserId, string UserName, long LoginTimeMs, int MaxMemberCount);

/// <summary>The outcome of <see cref="IRoomLifetimeManager.JoinAsync"/>.</summary>
/// <param name="Status">Whether the member joined.</param>
/// <param name="Room">This node's view of the room joined (or found full): its local members, limits and <see cref="Room.Seq"/>.</param>
/// <param name="Member">The new member (null when the room was full).</param>
/// <param name="IsNewRoom">True when this join created the room (in the whole cluster).</param>
/// <param name="Replaced">The same user's previous login to the room when it was on this node, now removed (the caller tells it it was kicked).</param>
/// <param name="WasInRoom">True when the user had a login in the room before (replaced here or on another node, which tells it itself).</param>
/// <param name="Count">The number of members of the room after the join (all nodes).</param>
/// <param name="MaxMemberCount">The room's capacity (set by its first user; 0 = unlimited).</param>
/// <param name="Others">The other members of the room after the join (all nodes), for the login's answer.</param>
public readonly record struct RoomJoinResult(RoomJoinStatus Status, Room Room, RoomMember? Member, bool IsNewRoom, RoomMember? Replaced, bool WasInRoom,
    int Count, int MaxMemberCount, IReadOnlyList<RoomMemberInfo> Others);

/// <summary>The outcome of <see cref="IRoomLifetimeManager.LeaveAsync"/>.</summary>
/// <param name="Left">False when the member was not its user's login in the room any more (already left or replaced): nothing changed.</param>
/// <param name="RoomClosed">True when the room became empty (in the whole cluster) and closed.</param>
/// <param name="Count">The number of members left in the room (all nodes).</param>
public readonly record struct RoomLeaveResult(bool Left, bool RoomClosed, int Count);

/// <summary>
/// What a lifetime manager asks of the room core (<c>RoomSignaling</c> (in the server)) for work that starts elsewhere: another
/// node's login replacing a login here, a kick sent to any node, members of a dead node removed by this node.
/// </summary>
public interface IRoomLifetimeHost
{
    /// <summary>A member on this node was replaced by a login of the same user on another node; it is out of the room already.</summary>
    void OnReplacedElsewhere(RoomMember member);

    /// <summary>Kicks a member on this node out of its room (KickOut with <paramref name="errorCode"/>), as the server API's kick does.</summary>
    ValueTask KickLocalAsync(RoomMember member, int errorCode, string reason);

    /// <summary>
    /// Members of a node that died were removed from a room by this node (once in the cluster): tell the observers and the
    /// room. <paramref name="roomClosed"/> when that emptied the room.
    /// </summary>
    void OnMembersSwept(RoomInfo room, IReadOnlyList<RoomMemberInfo> removed, bool roomClosed, int count);
}

/// <summary>
/// Room presence and delivery, the seam between the room core and where members are: modelled on SignalR's
/// <c>HubLifetimeManager</c> (rooms are its groups, a user is in a room over one connection at a time).
/// The in-process implementation (<c>InProcessRoomLifetimeManager</c> (in the server)) is the default: every call completes
/// synchronously. A cross-node one (Chorus.Bus.Redis) passes the same conformance suite; there presence lives in the bus,
/// room-wide deliveries reach members in one order for the whole room (and so arrive a moment later, also on this node),
/// and members are described by value (<see cref="RoomMemberInfo"/>) since they may be on another node.
/// Rooms are keyed by (AppId, RoomId): nothing crosses between apps. Delivery never waits for a recipient: frames are
/// queued (<see cref="IClientConnection.Send"/>); one encoded frame is shared by every recipient on a node.
/// </summary>
public interface IRoomLifetimeManager
{
    /// <summary>Tells the manager the room core it calls back (once, by the core at its creation).</summary>
    void Attach(IRoomLifetimeHost host);

    /// <summary>
    /// Adds a member to a room, creating the room with <paramref name="createRoom"/> when this node has no view of it. A
    /// login of the same user already in the room is replaced. A full room (its MaxMemberCount reached, the user not in it)
    /// is refused with <see cref="RoomJoinStatus.RoomFull"/>. <paramref name="createMember"/> runs under the room's lock
    /// just before the member is added locally (at most once), so that the caller can record the login where a concurrent
    /// kick will find it.
    /// </summary>
    ValueTask<RoomJoinResult> JoinAsync(RoomJoinRequest request, Func<Room> createRoom, Func<Room, RoomMember> createMember);

    /// <summary>Removes a member if it is still its user's login in its room.</summary>
    ValueTask<RoomLeaveResult> LeaveAsync(RoomMember member);

    /// <summary>Delivers a frame to the members of a room (on every node), except the member of <paramref name="exceptUserId"/>.</summary>
    void SendToRoom(uint appId, string roomId, EncodedFrame frame, Delivery delivery, string? exceptUserId = null, RoomAudience audience = RoomAudience.Everyone);

    /// <summary>
    /// Delivers a frame to the listed users of a room (those in it, on any node), except <paramref name="exceptUserId"/>.
    /// Returns the listed users that are not in the room (empty when all are; the excepted user is not checked).
    /// </summary>
    ValueTask<IReadOnlyList<string>> SendToUsersAsync(uint appId, string roomId, IReadOnlyList<string> userIds, EncodedFrame frame, Delivery delivery, string? exceptUserId = null);

    /// <summary>Delivers a frame to one connection of this node.</summary>
    void SendToConnection(IClientConnection connection, EncodedFrame frame, Delivery delivery);

    /// <summary>Kicks the listed users (or, when null, every member) out of a room, wherever they are; returns how many were in it.</summary>
    ValueTask<int> KickAsync(uint appId, string roomId, IReadOnlyList<string>? userIds, int errorCode, string reason);

    /// <summary>Sets a room extra info key (kept while the room lives).</summary>
    ValueTask SetExtraInfoAsync(Room room, string key, string value);

    /// <summary>The number of members of a room now, on every node (0 when it does not exist).</summary>
    ValueTask<int> CountAsync(uint appId, string roomId);

    /// <summary>The members of a room now, on every node (empty when it does not exist).</summary>
    ValueTask<IReadOnlyList<RoomMemberInfo>> ListAsync(uint appId, string roomId);

    /// <summary>The login of <paramref name="userId"/> in a room now, on any node, or null.</summary>
    ValueTask<RoomMemberInfo?> FindAsync(uint appId, string roomId, string userId);

    /// <summary>This node's view of a room (its local members), or null when it has no member of it here.</summary>
    Room? FindLocal(uint appId, string roomId);

    /// <summary>The rooms with members on this node (a moment's view), for periodic work such as online counts.</summary>
    IEnumerable<Room> LocalRooms { get; }
}
