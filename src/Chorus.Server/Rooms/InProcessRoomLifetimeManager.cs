namespace Chorus.Server.Rooms;

/// <summary>
/// The default <see cref="IRoomLifetimeManager"/>: rooms live in this process (<see cref="RoomRegistry"/>) and every call
/// completes synchronously. Membership changes take the room's lock; delivery reads the room's immutable member snapshot
/// without locking and queues the same encoded frame for each recipient (no allocation per recipient).
/// </summary>
public sealed class InProcessRoomLifetimeManager(RoomRegistry rooms, NodeIdentity? node = null) : IRoomLifetimeManager
{
    private readonly int _nodeId = node?.Id ?? 0;
    private IRoomLifetimeHost? _host;

    /// <inheritdoc />
    public void Attach(IRoomLifetimeHost host) => _host = host;

    /// <inheritdoc />
    public ValueTask<RoomJoinResult> JoinAsync(RoomJoinRequest request, Func<Room> createRoom, Func<Room, RoomMember> createMember)
    {
        uint appId = request.Connection.AppId;
        while (true)
        {
            Room? created = null;
            var room = rooms.GetOrAdd(appId, request.RoomId, () => created = createRoom());
            RoomMember member;
            RoomMember? replaced;
            bool isNew;
            lock (room.Gate)
            {
                if (room.IsClosed) continue; // lost a race with the last member leaving: take the new room
                isNew = ReferenceEquals(room, created);
                if (room.IsFullLocked(request.UserId))
                    return ValueTask.FromResult(new RoomJoinResult(RoomJoinStatus.RoomFull, room, null, isNew, null, false, room.Count, room.MaxMemberCount, []));
                member = createMember(room);
                replaced = room.AddLocked(member);
            }
            var members = room.Members;
            var others = new RoomMemberInfo[Math.Max(0, members.Length - 1)];
            int n = 0;
            foreach (var m in members)
                if (!ReferenceEquals(m, member) && n < others.Length) others[n++] = m.Describe(_nodeId);
            return ValueTask.FromResult(new RoomJoinResult(RoomJoinStatus.Joined, room, member, isNew, replaced, replaced is not null,
                members.Length, room.MaxMemberCount, n == others.Length ? others : others[..n]));
        }
    }

    /// <inheritdoc />
    public ValueTask<RoomLeaveResult> LeaveAsync(RoomMember member)
    {
        var room = member.Room;
        bool removed;
        lock (room.Gate) removed = room.RemoveLocked(member);
        bool closed = removed && room.IsClosed;
        if (closed) rooms.RemoveClosed(room);
        return ValueTask.FromResult(new RoomLeaveResult(removed, closed, room.Count));
    }

    /// <inheritdoc />
    public void SendToRoom(uint appId, string roomId, EncodedFrame frame, Delivery delivery, string? exceptUserId = null, RoomAudience audience = RoomAudience.Everyone)
    {
        if (rooms.Find(appId, roomId) is not { } room) return;
        // One order for every member: concurrent senders' room-wide messages are queued one message at a time.
        lock (room.DeliveryLock) RoomDelivery.DeliverLocal(room.Members, frame, delivery, exceptUserId, audience);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> SendToUsersAsync(uint appId, string roomId, IReadOnlyList<string> userIds, EncodedFrame frame, Delivery delivery, string? exceptUserId = null)
    {
        var room = rooms.Find(appId, roomId);
        List<string>? missing = null;
        foreach (var uid in userIds)
        {
            if (string.Equals(uid, exceptUserId, StringComparison.Ordinal)) continue;
            if (room?.Find(uid) is { } m) m.Connection.Send(frame, delivery);
            else (missing ??= []).Add(uid);
        }
        return ValueTask.FromResult<IReadOnlyList<string>>(missing ?? (IReadOnlyList<string>)[]);
    }

    /// <inheritdoc />
    public void SendToConnection(IClientConnection connection, EncodedFrame frame, Delivery delivery) => connection.Send(frame, delivery);

    /// <inheritdoc />
    public async ValueTask<int> KickAsync(uint appId, string roomId, IReadOnlyList<string>? userIds, int errorCode, string reason)
    {
        if (rooms.Find(appId, roomId) is not { } room) return 0;
        var host = _host ?? throw new InvalidOperationException("no room core is attached");
        var targets = userIds is null ? room.Members : userIds.Select(room.Find).OfType<RoomMember>().ToArray();
        foreach (var m in targets) await host.KickLocalAsync(m, errorCode, reason);
        return targets.Length;
    }

    /// <inheritdoc />
    public ValueTask SetExtraInfoAsync(Room room, string key, string value)
    {
        lock (room.Gate) room.ExtraInfo[key] = value;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> CountAsync(uint appId, string roomId) => ValueTask.FromResult(rooms.Find(appId, roomId)?.Count ?? 0);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RoomMemberInfo>> ListAsync(uint appId, string roomId)
    {
        if (rooms.Find(appId, roomId) is not { } room) return ValueTask.FromResult<IReadOnlyList<RoomMemberInfo>>([]);
        return ValueTask.FromResult<IReadOnlyList<RoomMemberInfo>>([.. room.Members.Select(m => m.Describe(_nodeId))]);
    }

    /// <inheritdoc />
    public ValueTask<RoomMemberInfo?> FindAsync(uint appId, string roomId, string userId) =>
        ValueTask.FromResult(rooms.Find(appId, roomId)?.Find(userId)?.Describe(_nodeId));

    /// <inheritdoc />
    public Room? FindLocal(uint appId, string roomId) => rooms.Find(appId, roomId);

    /// <inheritdoc />
    public IEnumerable<Room> LocalRooms => rooms.All;
}
