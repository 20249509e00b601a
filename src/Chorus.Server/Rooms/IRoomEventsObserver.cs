namespace Chorus.Server.Rooms;

/// <summary>
/// Told of room lifecycle events by the room core, after the change took effect, on the thread that made it: an
/// observer must not block (queue, then work elsewhere). The webhook callbacks are one observer
/// (<see cref="Webhooks.WebhookRoomEventsObserver"/>); every registered observer is told, in registration order.
/// With several nodes, an event is told once in the cluster: on the node of the connection it happened on (for the
/// members of a node that died, on the node that removed them). Members and rooms are described by value.
/// </summary>
public interface IRoomEventsObserver
{
    /// <summary>A room was created by <paramref name="creator"/>'s login (told before that login's <see cref="OnLogin"/>).</summary>
    void OnRoomCreated(RoomInfo room, RoomMemberInfo creator);

    /// <summary>A user logged into a room.</summary>
    void OnLogin(RoomInfo room, RoomMemberInfo member);

    /// <summary>A user left a room (logout, dropped connection, kick, or replaced by another login of the same user).</summary>
    void OnLogout(RoomInfo room, RoomMemberInfo member, RoomLeaveReason reason, long logoutTimeMs);

    /// <summary>The last member left: the room closed (told after that member's <see cref="OnLogout"/>).</summary>
    void OnRoomClosed(RoomInfo room, RoomLeaveReason reason, long closeTimeMs);
}
