using Chorus.Protocol;
using Chorus.Server.Chat;
using Chorus.Server.Core;
using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>
/// The chat rooms part of <see cref="RedisChat"/>: members, counts, caps and history live in Redis; a room's messages are
/// sequenced, kept and published by one script on the room's channel, which each node with members of the room logged
/// in subscribes to (one message per node with recipients), so every member on every node sees the room in one order.
/// </summary>
public sealed partial class RedisChat
{
    private readonly Lock _roomGate = new();
    // The rooms with connected members logged in here, with those members and the room channel's subscription.
    private readonly Dictionary<(uint AppId, string RoomId), LocalRoom> _localRooms = new();
    // The same, by user: the rooms each local user is a connected member of.
    private readonly Dictionary<(uint AppId, string UserId), HashSet<string>> _localUserRooms = new();

    private sealed class LocalRoom
    {
        public readonly HashSet<string> Users = new(StringComparer.Ordinal);
        public Task<ChannelMessageQueue>? Subscription;
    }

    private static byte[] HistoryEntry(WireChatMessage m) => ProtocolJson.ToUtf8Bytes(new ChatMessageEvent { Message = m });

    /// <inheritdoc />
    public async ValueTask<ChatResult<ChatRoomEntered>> EnterAsync(ChatConnectionState login, string user, ChatRoomEntry how, string roomId, string name)
    {
        uint appId = login.Connection.AppId;
        if (!string.Equals(login.UserId, user, StringComparison.Ordinal) || !_loginValues.TryGetValue(login, out var value)) return ChatRoomErrors.LoginEnded;
        // Subscribed before the entry, so no room message sent after it is missed here.
        bool added = await AddLocalMemberAsync(appId, roomId, user);
        RedisResult[] r;
        try
        {
            r = (RedisResult[])(await Run(() => _db.ScriptEvaluateAsync(RedisChatScripts.Enter,
                [RedisChatKeys.Rooms(appId), RedisChatKeys.RoomInfo(appId, roomId), RedisChatKeys.RoomMembers(appId, roomId), RedisChatKeys.UserRooms(appId, user),
                    RedisChatKeys.Grace, RedisChatKeys.Login(appId)],
                [user, how switch { ChatRoomEntry.Create => "c", ChatRoomEntry.Join => "j", _ => "e" }, name, NowMs, _options.ChatMaxRoomsPerUser,
                    _options.ChatMaxRoomsPerApp, _options.ChatMaxRoomMembers, roomId, appId, value])))!;
        }
        catch
        {
            if (added) RemoveLocalMember(appId, roomId, user);
            throw;
        }
        string outcome = (string)r[0]!;
        if (outcome != "ok")
        {
            // A member from an earlier entry stays delivered to (a refused entry changes nothing).
            if (added) RemoveLocalMember(appId, roomId, user);
            return outcome switch
            {
                "ended" => ChatRoomErrors.LoginEnded,
                "peruser" => ChatRoomErrors.RoomsPerUser(_options.ChatMaxRoomsPerUser),
                "joinmissing" => ChatRoomErrors.JoinMissing,
                "perapp" => ChatRoomErrors.RoomsPerApp,
                "exists" => ChatRoomErrors.Exists,
                _ => ChatRoomErrors.Full,
            };
        }
        return new ChatRoomEntered((string)r[1]!, (int)r[2], (long)r[3]);
    }

    /// <inheritdoc />
    public async ValueTask<ChatError?> LeaveAsync(uint appId, string user, string roomId)
    {
        var outcome = (string)(await Run(() => _db.ScriptEvaluateAsync(RedisChatScripts.Leave,
            [RedisChatKeys.Rooms(appId), RedisChatKeys.RoomInfo(appId, roomId), RedisChatKeys.RoomMembers(appId, roomId), RedisChatKeys.UserRooms(appId, user), RedisChatKeys.Grace],
            [user, roomId, appId])))!;
        if (outcome == "missing") return ChatError.RoomMissing;
        if (outcome == "notin") return ChatError.NotInRoom;
        RemoveLocalMember(appId, roomId, user);
        return null;
    }

    /// <inheritdoc />
    public async ValueTask<ChatResult<string[]>> MembersAsync(uint appId, string user, string roomId)
    {
        var r = await ReadAsync(appId, user, roomId, "m");
        if (r.Error is { } error) return error;
        return r.Value!.Select(v => (string)v!).Order(StringComparer.Ordinal).ToArray();
    }

    /// <inheritdoc />
    public async ValueTask<ChatResult<List<WireChatMessage>>> HistoryAsync(uint appId, string user, string roomId, long? startSeq, int count, bool forward)
    {
        var r = await ReadAsync(appId, user, roomId, "h");
        if (r.Error is { } error) return error.Code == ChatErrorCodes.NotInRoom ? ChatRoomErrors.ReadNotMember : error;
        long minTime = NowMs - (long)_options.ChatRoomHistoryAge.TotalMilliseconds;
        // The list is newest first; ages are filtered here (the list is trimmed to the count only).
        var items = r.Value!.Select(v => ProtocolJson.TryRead<ChatMessageEvent>(((byte[])v!).AsSpan())?.Message).OfType<WireChatMessage>().Where(m => m.Timestamp >= minTime);
        return forward
            ? items.Reverse().Where(m => m.ConversationSeq > (startSeq ?? 0)).Take(count).ToList()
            : items.Where(m => m.ConversationSeq < (startSeq ?? long.MaxValue)).Take(count).ToList();
    }

    private async Task<ChatResult<RedisResult[]>> ReadAsync(uint appId, string user, string roomId, string what)
    {
        var r = (RedisResult[])(await Run(() => _db.ScriptEvaluateAsync(RedisChatScripts.Read,
            [RedisChatKeys.RoomInfo(appId, roomId), RedisChatKeys.RoomMembers(appId, roomId), RedisChatKeys.RoomHistory(appId, roomId)], [user, what])))!;
        return (string)r[0]! switch
        {
            "missing" => ChatError.RoomMissing,
            "notin" => ChatError.NotInRoom,
            _ => r[1..],
        };
    }

    /// <inheritdoc />
    public async ValueTask<ChatResult<WireChatMessage>> SendAsync(uint appId, string sender, string roomId, WireChatMessage message, bool stored, bool trusted)
    {
        int keep = _options.ChatRoomHistoryCount;
        if (stored) message.ConversationSeq = message.OrderKey = RedisChatScripts.SeqSentinel;
        byte[] payload = ProtocolJson.ToUtf8Bytes(ChatRoomWire.Event(message));
        byte[] entry = stored && keep > 0 ? HistoryEntry(message) : [];
        string retryKey = message.LocalMessageId != 0 ? $"{message.LocalMessageId}:{sender}" : "";
        var r = (RedisResult[])(await Run(() => _db.ScriptEvaluateAsync(RedisChatScripts.Send,
            [RedisChatKeys.RoomInfo(appId, roomId), RedisChatKeys.RoomMembers(appId, roomId), RedisChatKeys.RoomHistory(appId, roomId), RedisChatKeys.RoomRetryKeys(appId, roomId)],
            [sender, trusted ? "1" : "0", stored ? "1" : "0", keep, Math.Max(1, (long)_options.ChatRoomHistoryAge.TotalMilliseconds), retryKey, entry, payload,
                RedisChatKeys.RoomChannel(appId, roomId), (int)ChatRoomWire.DeliveryOf(message)])))!;
        switch ((string)r[0]!)
        {
            case "missing": return ChatError.RoomMissing;
            case "notin": return ChatRoomErrors.SendNotMember;
            case "dup": return ProtocolJson.TryRead<ChatMessageEvent>(((byte[])r[1]!).AsSpan())?.Message ?? message; // the earlier copy, not delivered again
        }
        long seq = (long)r[1];
        message.ConversationSeq = message.OrderKey = seq;
        return message;
    }

    /// <inheritdoc />
    public async ValueTask OnLoginAsync(ChatConnectionState login, string user)
    {
        // A login that took over from another node: this node now delivers the user's connected rooms.
        uint appId = login.Connection.AppId;
        var rooms = (RedisResult[])(await Run(() => _db.ScriptEvaluateAsync(RedisChatScripts.ConnectedRooms,
            [RedisChatKeys.UserRooms(appId, user)], [user, RedisChatKeys.RoomMembersPrefix(appId)])))!;
        foreach (var room in rooms) await AddLocalMemberAsync(appId, (string)room!, user);
    }

    /// <inheritdoc />
    public void OnLoginReplaced(uint appId, string user, ChatConnectionState from, ChatConnectionState to)
    {
        // Memberships are per user (the local index names users, not logins): nothing moves.
    }

    /// <inheritdoc />
    public void OnLoginEnded(ChatConnectionState login, string user) => ForgetLocalMember(login.Connection.AppId, user);

    /// <inheritdoc />
    public void RunMaintenance()
    {
        // The cluster sweep runs on its own timer (RedisChatMaintenance), not on the 500 ms chat tick.
    }

    // ---- the local index and the room channels ---------------------------------------------------------------------

    /// <summary>Adds a connected member logged in here; true when it was not listed yet. Completes once the room's channel is subscribed.</summary>
    private async Task<bool> AddLocalMemberAsync(uint appId, string roomId, string user)
    {
        Task<ChannelMessageQueue> subscription;
        bool added;
        lock (_roomGate)
        {
            if (!_localRooms.TryGetValue((appId, roomId), out var room)) _localRooms[(appId, roomId)] = room = new LocalRoom();
            added = room.Users.Add(user);
            if (!_localUserRooms.TryGetValue((appId, user), out var rooms)) _localUserRooms[(appId, user)] = rooms = new HashSet<string>(StringComparer.Ordinal);
            rooms.Add(roomId);
            room.Subscription ??= SubscribeRoomAsync(appId, roomId);
            subscription = room.Subscription;
        }
        await Run(() => subscription);
        return added;
    }

    private async Task<ChannelMessageQueue> SubscribeRoomAsync(uint appId, string roomId)
    {
        var queue = await _bus.SubscribeAsync(RedisChannel.Literal(RedisChatKeys.RoomChannel(appId, roomId)));
        queue.OnMessage(m => OnRoomMessage(appId, roomId, m.Message));
        return queue;
    }

    private void RemoveLocalMember(uint appId, string roomId, string user)
    {
        lock (_roomGate)
        {
            if (_localUserRooms.TryGetValue((appId, user), out var rooms) && rooms.Remove(roomId) && rooms.Count == 0) _localUserRooms.Remove((appId, user));
            if (!_localRooms.TryGetValue((appId, roomId), out var room) || !room.Users.Remove(user) || room.Users.Count > 0) return;
            _localRooms.Remove((appId, roomId));
            Unsubscribe(room);
        }
    }

    /// <summary>A local user's login ended or moved away: this node no longer delivers its rooms to it.</summary>
    private void ForgetLocalMember(uint appId, string user)
    {
        string[] rooms;
        lock (_roomGate)
        {
            if (!_localUserRooms.TryGetValue((appId, user), out var set)) return;
            rooms = [.. set];
        }
        foreach (var room in rooms) RemoveLocalMember(appId, room, user);
    }

    private void Unsubscribe(LocalRoom room)
    {
        if (room.Subscription is { } subscription)
            Track(subscription.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.UnsubscribeAsync() : Task.CompletedTask, TaskScheduler.Default).Unwrap());
    }

    private async Task UnsubscribeRoomsAsync()
    {
        LocalRoom[] rooms;
        lock (_roomGate)
        {
            rooms = [.. _localRooms.Values];
            _localRooms.Clear();
            _localUserRooms.Clear();
        }
        foreach (var room in rooms) Unsubscribe(room);
        await FlushAsync();
    }

    /// <summary>A room message from the room's channel ("{sender}\n{delivery}\n{frame JSON}"): to this node's connected members but its sender.</summary>
    private void OnRoomMessage(uint appId, string roomId, RedisValue message)
    {
        var bytes = ((byte[])message!).AsSpan();
        int a = bytes.IndexOf((byte)'\n');
        if (a < 0 || a + 2 >= bytes.Length || bytes[a + 2] != (byte)'\n') return;
        string sender = System.Text.Encoding.UTF8.GetString(bytes[..a]);
        var delivery = (Delivery)(bytes[a + 1] - (byte)'0');
        string[] users;
        lock (_roomGate)
        {
            if (!_localRooms.TryGetValue((appId, roomId), out var room)) return;
            users = [.. room.Users];
        }
        EncodedFrame? frame = null; // once for every member here
        foreach (var user in users)
        {
            if (user == sender || _local.Find(appId, user) is not { } connection) continue;
            frame ??= EncodedFrame.FromPayload(bytes[(a + 3)..]);
            connection.Send(frame.Value, delivery);
        }
    }
}
