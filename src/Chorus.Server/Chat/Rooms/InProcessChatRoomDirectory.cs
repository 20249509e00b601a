using Chorus.Protocol;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// The chat rooms of one node alone, in its memory (<see cref="ChatRoomRegistry"/>, <see cref="ChatRoom"/>): members hold
/// their login, so a room message reaches each member's connection with a field read, no lookup per recipient.
/// </summary>
public sealed class InProcessChatRoomDirectory : IChatRoomDirectory
{
    private readonly ChatRoomRegistry _rooms;
    private readonly ChatOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the directory.</summary>
    public InProcessChatRoomDirectory(ChatRoomRegistry rooms, IOptions<ChatOptions> options, TimeProvider time)
    {
        _rooms = rooms;
        _options = options.Value;
        _time = time;
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc />
    public ValueTask<ChatResult<ChatRoomEntered>> EnterAsync(ChatConnectionState login, string user, ChatRoomEntry how, string roomId, string name) =>
        ValueTask.FromResult(Enter(login, user, how, roomId, name));

    private ChatResult<ChatRoomEntered> Enter(ChatConnectionState login, string user, ChatRoomEntry how, string roomId, string name)
    {
        uint appId = login.Connection.AppId;
        while (true)
        {
            // Creation caps: rooms per user (checked first, so that a refusal leaves no empty room behind), then rooms per app.
            if (_rooms.Find(appId, roomId) is not { } present || !present.Members.ContainsKey(user))
            {
                if (_rooms.CountRoomsOf(appId, user) >= _options.ChatMaxRoomsPerUser) return ChatRoomErrors.RoomsPerUser(_options.ChatMaxRoomsPerUser);
            }
            ChatRoom room;
            if (how == ChatRoomEntry.Join)
            {
                room = _rooms.Find(appId, roomId)!;
                if (room is null) return ChatRoomErrors.JoinMissing;
            }
            else
            {
                var (r, added) = _rooms.GetOrAdd(appId, roomId, () => new ChatRoom(appId, roomId, name, NowMs), _options.ChatMaxRoomsPerApp);
                if (r is null) return ChatRoomErrors.RoomsPerApp;
                if (!added && how == ChatRoomEntry.Create) return ChatRoomErrors.Exists;
                room = r;
            }
            lock (room.Gate)
            {
                if (room.IsClosed) continue;
                // The login may have ended since the request was let in (a second login took over, the token
                // expired): a member held by an ended login would never be swept.
                if (!string.Equals(login.UserId, user, StringComparison.Ordinal))
                {
                    if (room.Members.IsEmpty) // made for this entry: it must not stay behind, empty
                    {
                        room.IsClosed = true;
                        _rooms.Remove(room);
                    }
                    return ChatRoomErrors.LoginEnded;
                }
                if (!room.Members.ContainsKey(user) && room.Members.Count >= _options.ChatMaxRoomMembers) return ChatRoomErrors.Full;
                room.Members[user] = new ChatRoomMember(user, login, 0);
            }
            return new ChatRoomEntered(room.Name, room.Members.Count, room.CurrentSeq);
        }
    }

    /// <inheritdoc />
    public ValueTask<ChatError?> LeaveAsync(uint appId, string user, string roomId)
    {
        var room = _rooms.Find(appId, roomId);
        if (room is null) return ValueTask.FromResult<ChatError?>(ChatError.RoomMissing);
        if (!room.Members.TryGetValue(user, out var m)) return ValueTask.FromResult<ChatError?>(ChatError.NotInRoom);
        RemoveMember(room, user, m);
        return ValueTask.FromResult<ChatError?>(null);
    }

    /// <inheritdoc />
    public ValueTask<ChatResult<string[]>> MembersAsync(uint appId, string user, string roomId)
    {
        var room = _rooms.Find(appId, roomId);
        if (room is null) return ValueTask.FromResult<ChatResult<string[]>>(ChatError.RoomMissing);
        if (!room.Members.ContainsKey(user)) return ValueTask.FromResult<ChatResult<string[]>>(ChatError.NotInRoom);
        return ValueTask.FromResult<ChatResult<string[]>>(room.Members.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    /// <inheritdoc />
    public ValueTask<ChatResult<WireChatMessage>> SendAsync(uint appId, string sender, string roomId, WireChatMessage message, bool stored, bool trusted)
    {
        var room = _rooms.Find(appId, roomId);
        if (room is null) return ValueTask.FromResult<ChatResult<WireChatMessage>>(ChatError.RoomMissing);
        if (!trusted && !room.Members.ContainsKey(sender)) return ValueTask.FromResult<ChatResult<WireChatMessage>>(ChatRoomErrors.SendNotMember);
        // Sequence assignment and fan-out under one lock: room members see the room in order.
        var (kept, _) = room.Append(message, stored ? _options.ChatRoomHistoryCount : -1, _options.ChatRoomHistoryAge, m => FanOut(room, sender, m));
        return ValueTask.FromResult<ChatResult<WireChatMessage>>(kept);
    }

    private static void FanOut(ChatRoom room, string sender, WireChatMessage message)
    {
        var bytes = ChatRoomWire.Encode(message); // once for the whole room
        var delivery = ChatRoomWire.DeliveryOf(message);
        foreach (var m in room.Members.Values)
        {
            // Never to a connection that is no longer this member's chat login (logged out, or taken over by a second
            // login): Connection checks the login's current user, a field read rather than a lookup per recipient.
            if (m.UserId != sender) m.Connection?.Send(bytes, delivery);
        }
    }

    /// <inheritdoc />
    public ValueTask<ChatResult<List<WireChatMessage>>> HistoryAsync(uint appId, string user, string roomId, long? startSeq, int count, bool forward)
    {
        var room = _rooms.Find(appId, roomId);
        if (room is null) return ValueTask.FromResult<ChatResult<List<WireChatMessage>>>(ChatError.RoomMissing);
        if (!room.Members.ContainsKey(user)) return ValueTask.FromResult<ChatResult<List<WireChatMessage>>>(ChatRoomErrors.ReadNotMember);
        return ValueTask.FromResult<ChatResult<List<WireChatMessage>>>(room.Query(startSeq, count, forward, NowMs, _options.ChatRoomHistoryAge));
    }

    /// <inheritdoc />
    public ValueTask OnLoginAsync(ChatConnectionState login, string user) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public void OnLoginReplaced(uint appId, string user, ChatConnectionState from, ChatConnectionState to)
    {
        foreach (var room in _rooms.All)
        {
            if (room.AppId == appId && room.Members.TryGetValue(user, out var m) && ReferenceEquals(m.Login, from))
                room.Members.TryUpdate(user, m with { Login = to }, m);
        }
    }

    /// <inheritdoc />
    public void OnLoginEnded(ChatConnectionState login, string user)
    {
        long now = NowMs;
        foreach (var room in _rooms.All)
        {
            if (room.AppId == login.Connection.AppId && room.Members.TryGetValue(user, out var m) && ReferenceEquals(m.Login, login))
                room.Members.TryUpdate(user, m with { Login = null, DisconnectedAtMs = now }, m);
        }
    }

    /// <inheritdoc />
    public void RunMaintenance()
    {
        long nowMs = NowMs;
        long graceMs = (long)_options.ChatRoomMemberGracePeriod.TotalMilliseconds;
        foreach (var room in _rooms.All)
        {
            foreach (var (user, m) in room.Members)
            {
                // A member still held by a login that has ended (a race with a takeover or an expiry) starts its grace now.
                if (m.Login is { } login && !string.Equals(login.UserId, user, StringComparison.Ordinal))
                    room.Members.TryUpdate(user, m with { Login = null, DisconnectedAtMs = nowMs }, m);
                else if (m.Login is null && nowMs - m.DisconnectedAtMs >= graceMs) RemoveMember(room, user, m);
            }
        }
    }

    private void RemoveMember(ChatRoom room, string user, ChatRoomMember member)
    {
        lock (room.Gate)
        {
            if (!room.Members.TryRemove(new KeyValuePair<string, ChatRoomMember>(user, member))) return;
            if (room.Members.IsEmpty)
            {
                room.IsClosed = true;
                _rooms.Remove(room);
            }
        }
    }
}
