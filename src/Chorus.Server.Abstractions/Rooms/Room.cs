using Chorus.Protocol;
using Chorus.Server.Auth;

namespace Chorus.Server.Rooms;

/// <summary>Why a member left a room (callbacks' <c>reason</c> / <c>close_reason</c>).</summary>
public enum RoomLeaveReason
{
    /// <summary>Logged out, or closed the connection cleanly.</summary>
    Normal = 0,
    /// <summary>The heartbeat timed out.</summary>
    HeartbeatTimeout = 1,
    /// <summary>The connection dropped.</summary>
    Dropped = 2,
    /// <summary>Kicked out (server API, another login, token expiry).</summary>
    Kicked = 3,
}

/// <summary>A room's identity for events: its app, id and this life of it (<see cref="Room.Seq"/>).</summary>
/// <param name="AppId">The app.</param>
/// <param name="RoomId">The room id.</param>
/// <param name="Seq">Identifies this life of the room (callbacks' <c>room_seq</c>).</param>
public readonly record struct RoomInfo(uint AppId, string RoomId, long Seq);

/// <summary>A member of a room described by value, wherever it is (this node or another).</summary>
/// <param name="UserId">UserId.</param>
/// <param name="UserName">UserName.</param>
/// <param name="NodeId">The node of its connection.</param>
/// <param name="ConnectionId">Its connection's id on that node (webhooks' <c>session_id</c>).</param>
/// <param name="LoginTimeMs">Login time, Unix ms.</param>
public readonly record struct RoomMemberInfo(string UserId, string UserName, int NodeId, long ConnectionId, long LoginTimeMs)
{
    /// <summary>The wire form of this user.</summary>
    public WireUser ToWire() => new(UserId, UserName);
}

/// <summary>A user's login to a room over one connection.</summary>
public sealed class RoomMember
{
    /// <summary>Creates a member.</summary>
    public RoomMember(Room room, IClientConnection connection, string userId, string userName, long loginTimeMs, bool userStatusNotify,
        long tokenExpiresAt, SlidingWindowLimiter customToOne, SlidingWindowLimiter customToMany, SlidingWindowLimiter broadcast)
    {
        Room = room;
        Connection = connection;
        UserId = userId;
        UserName = userName;
        LoginTimeMs = loginTimeMs;
        UserStatusNotify = userStatusNotify;
        TokenExpiresAt = tokenExpiresAt;
        CustomCommandToOneLimit = customToOne;
        CustomCommandToManyLimit = customToMany;
        BroadcastLimit = broadcast;
    }

    /// <summary>The room.</summary>
    public Room Room { get; }
    /// <summary>The connection the user logged in over.</summary>
    public IClientConnection Connection { get; }
    /// <summary>UserId.</summary>
    public string UserId { get; }
    /// <summary>UserName.</summary>
    public string UserName { get; }
    /// <summary>Login time, Unix ms.</summary>
    public long LoginTimeMs { get; }
    /// <summary>Whether the member gets room user update events.</summary>
    public bool UserStatusNotify { get; }
    /// <summary>When the member's token expires, Unix seconds. Updated by renewal.</summary>
    public long TokenExpiresAt { get => Volatile.Read(ref _tokenExpiresAt); set { Volatile.Write(ref _tokenExpiresAt, value); TokenWarned = false; } }
    private long _tokenExpiresAt;
    /// <summary>Whether the token-will-expire event was sent for the current token.</summary>
    public bool TokenWarned { get; set; }
    /// <summary>Per-member limit of custom commands to one user.</summary>
    public SlidingWindowLimiter CustomCommandToOneLimit { get; }
    /// <summary>Per-member limit of custom commands to many users.</summary>
    public SlidingWindowLimiter CustomCommandToManyLimit { get; }
    /// <summary>Per-member broadcast limit.</summary>
    public SlidingWindowLimiter BroadcastLimit { get; }
    /// <summary>The wire form of this user.</summary>
    public WireUser ToWire() => new(UserId, UserName);
    /// <summary>This member by value, as a login on node <paramref name="nodeId"/>.</summary>
    public RoomMemberInfo Describe(int nodeId) => new(UserId, UserName, nodeId, Connection.Id, LoginTimeMs);
}

/// <summary>
/// A room of one app: its members and per-room limits. A room exists while someone is in it.
/// Membership changes take the room's lock; fan-out reads an immutable member snapshot without locking.
/// </summary>
public sealed class Room
{
    private readonly Dictionary<string, RoomMember> _members = new(StringComparer.Ordinal);
    private volatile RoomMember[] _snapshot = [];
    private volatile Dictionary<string, RoomMember> _byUser = new(StringComparer.Ordinal); // read-only copy for lock-free lookups

    /// <summary>Creates an empty room.</summary>
    public Room(uint appId, string roomId, int maxMemberCount, SlidingWindowLimiter broadcastLimit, SlidingWindowLimiter barrageLimit)
    {
        AppId = appId;
        RoomId = roomId;
        MaxMemberCount = maxMemberCount;
        BroadcastLimit = broadcastLimit;
        BarrageLimit = barrageLimit;
    }

    private static long s_nextSeq;

    /// <summary>The app.</summary>
    public uint AppId { get; }
    /// <summary>Identifies this life of the room (a room that empties and fills again gets a new one); callbacks' <c>room_seq</c>.</summary>
    public long Seq { get; set; } = Interlocked.Increment(ref s_nextSeq);
    /// <summary>This room's identity for events.</summary>
    public RoomInfo Info => new(AppId, RoomId, Seq);
    /// <summary>The room id.</summary>
    public string RoomId { get; }
    /// <summary>Capacity set by the first user (0 = unlimited).</summary>
    public int MaxMemberCount { get; set; }
    /// <summary>Per-room broadcast limit.</summary>
    public SlidingWindowLimiter BroadcastLimit { get; }
    /// <summary>Per-room barrage limit.</summary>
    public SlidingWindowLimiter BarrageLimit { get; }
    /// <summary>Set when the last member left; a closed room takes no logins (the registry makes a new one).</summary>
    public bool IsClosed { get; private set; }
    /// <summary>Extra info set by members, by key.</summary>
    public Dictionary<string, string> ExtraInfo { get; } = new(StringComparer.Ordinal);

    /// <summary>The members now, as an immutable array.</summary>
    public RoomMember[] Members => _snapshot;
    /// <summary>Number of members now.</summary>
    public int Count => _snapshot.Length;

    /// <summary>
    /// Held while a room-wide message is queued for this node's members (<see cref="RoomDelivery.DeliverLocal"/>), so that
    /// the messages of concurrent senders reach every member in one order. Queuing never blocks, so it is held briefly.
    /// </summary>
    public Lock DeliveryLock { get; } = new();

    /// <summary>The lock guarding membership changes.</summary>
    public object Gate => _members;

    /// <summary>Joins under way on this node (a cross-node manager): the room does not close while one is.</summary>
    public int PendingJoins { get; set; }

    /// <summary>What a cross-node manager keeps with its view of the room (its subscription).</summary>
    public object? BusState { get; set; }

    /// <summary>Closes the room if it has no member and no join under way; caller holds <see cref="Gate"/>.</summary>
    public bool TryCloseLocked()
    {
        if (_members.Count == 0 && PendingJoins == 0) IsClosed = true;
        return IsClosed;
    }

    /// <summary>Finds a member by UserId (no lock; a moment's view).</summary>
    public RoomMember? Find(string userId) => _byUser.TryGetValue(userId, out var m) ? m : null;

    private void PublishSnapshot()
    {
        // Membership changes are rare next to sends: copy once here so that fan-out and lookups never lock.
        _snapshot = [.. _members.Values];
        _byUser = new Dictionary<string, RoomMember>(_members, StringComparer.Ordinal);
    }

    /// <summary>Adds or replaces a member; caller holds <see cref="Gate"/>. Returns the member replaced, if any.</summary>
    public RoomMember? AddLocked(RoomMember member)
    {
        _members.TryGetValue(member.UserId, out var previous);
        _members[member.UserId] = member;
        PublishSnapshot();
        return previous;
    }

    /// <summary>Removes a member if it is still the current login of its user; caller holds <see cref="Gate"/>.</summary>
    public bool RemoveLocked(RoomMember member)
    {
        if (!_members.TryGetValue(member.UserId, out var current) || !ReferenceEquals(current, member)) return false;
        _members.Remove(member.UserId);
        PublishSnapshot();
        TryCloseLocked();
        return true;
    }

    /// <summary>Whether the room is full for a new user; caller holds <see cref="Gate"/>.</summary>
    public bool IsFullLocked(string joiningUserId) =>
        MaxMemberCount > 0 && _members.Count >= MaxMemberCount && !_members.ContainsKey(joiningUserId);
}
