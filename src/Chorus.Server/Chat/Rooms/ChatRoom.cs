using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Chorus.Protocol;

namespace Chorus.Server.Chat;

/// <summary>
/// A chat room: members and a bounded recent history kept in memory (last N messages and at most a set age).
/// Room messages are not written to the database.
/// </summary>
public sealed class ChatRoom(uint appId, string roomId, string name, long createTime)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<WireChatMessage> _history = new();
    private readonly Dictionary<(string Sender, long LocalId), WireChatMessage> _recentByLocalId = new();
    private long _seq;

    /// <summary>App.</summary>
    public uint AppId { get; } = appId;
    /// <summary>Room ID.</summary>
    public string RoomId { get; } = roomId;
    /// <summary>Name.</summary>
    public string Name { get; } = name;
    /// <summary>Creation time, Unix ms.</summary>
    public long CreateTime { get; } = createTime;
    /// <summary>Members by UserId, with their chat login (null while disconnected, within the grace period) and when they left it.</summary>
    public ConcurrentDictionary<string, ChatRoomMember> Members { get; } = new(StringComparer.Ordinal);
    /// <summary>Set once the room emptied and was removed.</summary>
    public bool IsClosed { get; set; }
    /// <summary>The newest message's sequence number.</summary>
    public long CurrentSeq { get { lock (_history) return _seq; } }
    /// <summary>The lock for membership changes.</summary>
    public Lock Gate => _gate;

    /// <summary>
    /// Sequences a message (stored kinds go into the bounded history; <paramref name="keepCount"/> -1 = an unstored kind,
    /// which gets no sequence number) and runs <paramref name="fanOut"/> under the same lock, so members see the room in order.
    /// A retry of a stored message returns the earlier copy and is not fanned out again.
    /// </summary>
    public (WireChatMessage Message, bool Duplicate) Append(WireChatMessage message, int keepCount, TimeSpan keepAge, Action<WireChatMessage> fanOut)
    {
        lock (_history)
        {
            if (keepCount < 0)
            {
                fanOut(message);
                return (message, false);
            }
            if (message.LocalMessageId != 0 && _recentByLocalId.TryGetValue((message.SenderUserId!, message.LocalMessageId), out var earlier))
                return (earlier, true);
            message.ConversationSeq = message.OrderKey = ++_seq;
            fanOut(message);
            if (keepCount > 0)
            {
                _history.AddLast(message);
                if (message.LocalMessageId != 0) _recentByLocalId[(message.SenderUserId!, message.LocalMessageId)] = message;
                Trim(keepCount, message.Timestamp - (long)keepAge.TotalMilliseconds);
            }
            return (message, false);
        }
    }

    /// <summary>A page of history: backward (newest first, Seq &lt; start) or forward (oldest first, Seq &gt; start).</summary>
    public List<WireChatMessage> Query(long? startSeq, int count, bool forward, long nowMs, TimeSpan keepAge)
    {
        lock (_history)
        {
            long minTime = nowMs - (long)keepAge.TotalMilliseconds;
            var items = _history.Where(m => m.Timestamp >= minTime);
            return forward
                ? items.Where(m => m.ConversationSeq > (startSeq ?? 0)).Take(count).ToList()
                : items.Reverse().Where(m => m.ConversationSeq < (startSeq ?? long.MaxValue)).Take(count).ToList();
        }
    }

    private void Trim(int keepCount, long minTime)
    {
        while (_history.First is { } first && (_history.Count > keepCount || first.Value.Timestamp < minTime))
        {
            _history.RemoveFirst();
            if (first.Value.LocalMessageId != 0) _recentByLocalId.Remove((first.Value.SenderUserId!, first.Value.LocalMessageId));
        }
    }
}

/// <summary>A chat room member.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Login">
/// The chat login it is in the room over; null once that login ended (the member is removed after the grace period).
/// A second login of the user takes the membership over.
/// </param>
/// <param name="DisconnectedAtMs">When the login ended, Unix ms (0 while connected).</param>
public sealed record ChatRoomMember(string UserId, ChatConnectionState? Login, long DisconnectedAtMs)
{
    /// <summary>
    /// The connection to deliver to: the login's, while it is still logged in as this member (a field read, so a room
    /// fan-out does no lookup per recipient); otherwise null.
    /// </summary>
    public IClientConnection? Connection => Login is { } login && login.UserId == UserId ? login.Connection : null;
}

/// <summary>The chat rooms of every app.</summary>
public sealed class ChatRoomRegistry
{
    private readonly ConcurrentDictionary<(uint AppId, string RoomId), ChatRoom> _rooms = new();
    private readonly ConcurrentDictionary<uint, StrongBox<int>> _countByApp = new();

    /// <summary>Finds a room.</summary>
    public ChatRoom? Find(uint appId, string roomId) => _rooms.TryGetValue((appId, roomId), out var r) ? r : null;

    /// <summary>
    /// Adds a room unless one exists; returns the room in force and whether it was added. A new room is added only while
    /// the app has fewer than <paramref name="maxRoomsPerApp"/> rooms; otherwise the room is null.
    /// </summary>
    public (ChatRoom? Room, bool Added) GetOrAdd(uint appId, string roomId, Func<ChatRoom> create, int maxRoomsPerApp)
    {
        if (Find(appId, roomId) is { } existing) return (existing, false);
        var count = _countByApp.GetOrAdd(appId, _ => new StrongBox<int>());
        // A slot is taken before the room is made, so that concurrent creations cannot pass the cap together.
        if (Interlocked.Increment(ref count.Value) > maxRoomsPerApp)
        {
            Interlocked.Decrement(ref count.Value);
            return (Find(appId, roomId), false);
        }
        ChatRoom? made = null;
        var room = _rooms.GetOrAdd((appId, roomId), _ => made = create());
        bool added = made is not null && ReferenceEquals(room, made);
        if (!added) Interlocked.Decrement(ref count.Value);
        return (room, added);
    }

    /// <summary>Removes a room (that exact instance).</summary>
    public void Remove(ChatRoom room)
    {
        if (_rooms.TryRemove(new KeyValuePair<(uint, string), ChatRoom>((room.AppId, room.RoomId), room)) && _countByApp.TryGetValue(room.AppId, out var count))
            Interlocked.Decrement(ref count.Value);
    }

    /// <summary>How many rooms of <paramref name="appId"/> have <paramref name="userId"/> as a member (a moment's view).</summary>
    public int CountRoomsOf(uint appId, string userId)
    {
        int n = 0;
        foreach (var room in _rooms.Values)
            if (room.AppId == appId && room.Members.ContainsKey(userId)) n++;
        return n;
    }

    /// <summary>All rooms.</summary>
    public IEnumerable<ChatRoom> All => _rooms.Values;
}
