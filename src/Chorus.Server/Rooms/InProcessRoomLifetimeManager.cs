namespace Chorus.Server.Rooms;

/// <summary>
/// The default <see cref="IRoomLifetimeManager"/>: rooms live in this process (<see cref="RoomRegistry"/>). Membership
/// changes take the room's lock; delivery reads the room's immutable member snapshot without locking and queues the
/// same encoded frame for each recipient (no allocation per recipient).
/// </summary>
public sealed class InProcessRoomLifetimeManager(RoomRegistry rooms) : IRoomLifetimeManager
{
    /// <inheritdoc />
    public RoomJoinResult Join(uint appId, string roomId, string userId, Func<Room> createRoom, Func<Room, RoomMember> createMember)
    {
        while (true)
        {
            Room? created = null;
            var room = rooms.GetOrAdd(appId, roomId, () => created = createRoom());
            lock (room.Gate)
            {
                if (room.IsClosed) continue; // lost a race with the last member leaving: take the new room
                bool isNew = ReferenceEquals(room, created);
                if (room.IsFullLocked(userId)) return new RoomJoinResult(RoomJoinStatus.RoomFull, room, null, isNew, null);
                var member = createMember(room);
                var replaced = room.AddLocked(member);
                return new RoomJoinResult(RoomJoinStatus.Joined, room, member, isNew, replaced);
            }
        }
    }

    /// <inheritdoc />
    public bool Leave(RoomMember member, out bool roomClosed)
    {
        var room = member.Room;
        bool removed;
        lock (room.Gate) removed = room.RemoveLocked(member);
        roomClosed = removed && room.IsClosed;
        if (roomClosed) rooms.RemoveClosed(room);
        return removed;
    }

    /// <inheritdoc />
    public void SendToRoom(uint appId, string roomId, EncodedFrame frame, Delivery delivery, string? exceptUserId = null, RoomAudience audience = RoomAudience.Everyone)
    {
        if (rooms.Find(appId, roomId) is not { } room) return;
        var members = room.Members;
        if (audience == RoomAudience.StatusSubscribers)
        {
            foreach (var m in members)
                if (m.UserStatusNotify && !string.Equals(m.UserId, exceptUserId, StringComparison.Ordinal)) m.Connection.Send(frame, delivery);
            return;
        }
        foreach (var m in members)
            if (!string.Equals(m.UserId, exceptUserId, StringComparison.Ordinal)) m.Connection.Send(frame, delivery);
    }

    /// <inheritdoc />
    public void SendToUsers(uint appId, string roomId, IReadOnlyList<string> userIds, EncodedFrame frame, Delivery delivery, string? exceptUserId = null)
    {
        if (rooms.Find(appId, roomId) is not { } room) return;
        foreach (var uid in userIds)
        {
            if (string.Equals(uid, exceptUserId, StringComparison.Ordinal)) continue;
            room.Find(uid)?.Connection.Send(frame, delivery);
        }
    }

    /// <inheritdoc />
    public void SendToConnection(IClientConnection connection, EncodedFrame frame, Delivery delivery) => connection.Send(frame, delivery);

    /// <inheritdoc />
    public int Count(uint appId, string roomId) => rooms.Find(appId, roomId)?.Count ?? 0;

    /// <inheritdoc />
    public IReadOnlyList<RoomMember> List(uint appId, string roomId) => rooms.Find(appId, roomId)?.Members ?? [];

    /// <inheritdoc />
    public RoomMember? Find(uint appId, string roomId, string userId) => rooms.Find(appId, roomId)?.Find(userId);

    /// <inheritdoc />
    public bool IsOnline(uint appId, string roomId, string userId) => Find(appId, roomId, userId) is not null;

    /// <inheritdoc />
    public Room? FindRoom(uint appId, string roomId) => rooms.Find(appId, roomId);

    /// <inheritdoc />
    public IEnumerable<Room> Rooms => rooms.All;
}
