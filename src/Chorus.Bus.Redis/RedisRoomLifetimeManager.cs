using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>
/// Room presence and delivery across nodes on Redis (docs/deploy.md, "How nodes share rooms"). Presence: per room a hash
/// of members (UserId to node life, connection, login time, name), joined and left by Lua scripts (capacity and the
/// replace-previous-login rule atomic). Fan-out: a room-wide message is ONE publish on the room's channel, which only
/// nodes with members of the room subscribe, even when every member is on this node, so every member sees one order;
/// a message to listed users is one publish per other node that has some of them (found with one HMGET), delivered
/// here directly. Each node keeps its own view of a room (<see cref="Room"/>, its local members) and delivers to its
/// connections from it, one copy of the frame for all of them.
/// </summary>
public sealed partial class RedisRoomLifetimeManager : IRoomLifetimeManager, IAsyncDisposable
{
    // KEYS: members, life counts, info, extra, this life's rooms, room seq. ARGV: userId, value, life, max, "app:room".
    // Returns {status (0 joined, 1 full), isNew, seq, max, count, previous value or '', members (flat)}.
    private const string JoinScript = """
        local isNew = 0
        if redis.call('EXISTS', KEYS[1]) == 0 then
          isNew = 1
          redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
        end
        if redis.call('HEXISTS', KEYS[3], 'seq') == 0 then
          redis.call('HSET', KEYS[3], 'seq', redis.call('INCR', KEYS[6]), 'max', ARGV[4])
        end
        local info = redis.call('HMGET', KEYS[3], 'seq', 'max')
        local max = tonumber(info[2]) or 0
        local prev = redis.call('HGET', KEYS[1], ARGV[1])
        if (not prev) and max > 0 and redis.call('HLEN', KEYS[1]) >= max then
          return {1, isNew, info[1], max, redis.call('HLEN', KEYS[1]), '', {}}
        end
        if prev then
          local plife = string.match(prev, '^([^|]*)')
          if redis.call('HINCRBY', KEYS[2], plife, -1) <= 0 then
            redis.call('HDEL', KEYS[2], plife)
            redis.call('SREM', 'chorus:node:' .. plife .. ':rooms', ARGV[5])
          end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
        redis.call('SADD', KEYS[5], ARGV[5])
        return {0, isNew, info[1], max, redis.call('HLEN', KEYS[1]), prev or '', redis.call('HGETALL', KEYS[1])}
        """;

    // KEYS: members, life counts, info, extra, this life's rooms. ARGV: userId, value, life, "app:room".
    // Returns {left, closed, count}.
    private const string LeaveScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return {0, 0, redis.call('HLEN', KEYS[1])} end
        redis.call('HDEL', KEYS[1], ARGV[1])
        if redis.call('HINCRBY', KEYS[2], ARGV[3], -1) <= 0 then
          redis.call('HDEL', KEYS[2], ARGV[3])
          redis.call('SREM', KEYS[5], ARGV[4])
        end
        local n = redis.call('HLEN', KEYS[1])
        if n == 0 then
          redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
          return {1, 1, 0}
        end
        return {1, 0, n}
        """;

    // KEYS: members, life counts, info, extra. ARGV: dead life. Returns {closed, count, seq, removed (flat)}.
    private const string SweepScript = """
        local all = redis.call('HGETALL', KEYS[1])
        local removed = {}
        local prefix = ARGV[1] .. '|'
        for i = 1, #all, 2 do
          if string.sub(all[i + 1], 1, #prefix) == prefix then
            redis.call('HDEL', KEYS[1], all[i])
            removed[#removed + 1] = all[i]
            removed[#removed + 1] = all[i + 1]
          end
        end
        redis.call('HDEL', KEYS[2], ARGV[1])
        local seq = redis.call('HGET', KEYS[3], 'seq') or '0'
        local n = redis.call('HLEN', KEYS[1])
        local closed = 0
        if n == 0 then
          redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
          if #removed > 0 then closed = 1 end
        end
        return {closed, n, seq, removed}
        """;

    // KEYS: members, extra. ARGV: key, value.
    private const string ExtraInfoScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly ISubscriber _bus;
    private readonly RedisNode _node;
    private readonly RoomRegistry _local;
    private readonly ILogger<RedisRoomLifetimeManager> _logger;
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private ChannelMessageQueue? _nodeQueue;
    private IRoomLifetimeHost? _host;
    private string _life;

    /// <summary>Creates the manager for this node.</summary>
    public RedisRoomLifetimeManager(IConnectionMultiplexer redis, RedisNode node, RoomRegistry local, ILogger<RedisRoomLifetimeManager> logger)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _bus = redis.GetSubscriber();
        _node = node;
        _local = local;
        _logger = logger;
        _life = node.Life;
        node.RoomSweeper = SweepLifeAsync;
        node.LifeRenewed = RegisterAgainAsync;
        node.Tick = RetryLeavesAsync;
    }

    private int NodeId => _node.Identity.Id;

    /// <inheritdoc />
    public void Attach(IRoomLifetimeHost host) => _host = host;

    private IRoomLifetimeHost Host => _host ?? throw new InvalidOperationException("no room core is attached");

    /// <summary>Subscribes this node's channel (once, before its first member joins: what it carries is for members here).</summary>
    public async Task StartAsync()
    {
        if (Volatile.Read(ref _nodeQueue) is not null) return;
        await _startGate.WaitAsync();
        try
        {
            if (_nodeQueue is not null) return;
            var queue = await Bus(() => _bus.SubscribeAsync(RedisKeys.NodeChannel(NodeId)));
            queue.OnMessage(OnNodeMessageAsync);
            Volatile.Write(ref _nodeQueue, queue);
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_nodeQueue is { } q) await q.UnsubscribeAsync(CommandFlags.FireAndForget);
        foreach (var room in _local.All)
            if (room.BusState is RoomSubscription s && s.Queue.IsCompletedSuccessfully) await s.Queue.Result.UnsubscribeAsync(CommandFlags.FireAndForget);
    }

    private string Value(RoomMember member) => RedisMemberValue.Of(_life, member.Connection.Id, member.LoginTimeMs, member.UserName);

    private static string RoomRef(uint appId, string roomId) => appId.ToString(CultureInfo.InvariantCulture) + ":" + roomId;

    // ---- presence ------------------------------------------------------------------------------

    /// <inheritdoc />
    public async ValueTask<RoomJoinResult> JoinAsync(RoomJoinRequest request, Func<Room> createRoom, Func<Room, RoomMember> createMember)
    {
        await StartAsync();
        uint appId = request.Connection.AppId;
        Room room;
        while (true)
        {
            room = _local.GetOrAdd(appId, request.RoomId, createRoom);
            lock (room.Gate)
            {
                if (room.IsClosed) continue; // lost a race with this node's last member leaving: take the new view
                room.PendingJoins++;
                room.BusState ??= new RoomSubscription(SubscribeRoomAsync(room));
            }
            break;
        }

        RedisResult[] r;
        string life = _life;
        string value = RedisMemberValue.Of(life, request.Connection.Id, request.LoginTimeMs, request.UserName);
        string key = RedisKeys.Room(appId, request.RoomId);
        try
        {
            await ((RoomSubscription)room.BusState!).Queue; // subscribed before the member is visible: it misses nothing sent after
            r = (RedisResult[])(await Bus(() => _db.ScriptEvaluateAsync(JoinScript,
                [RedisKeys.Members(key), RedisKeys.LifeCounts(key), RedisKeys.Info(key), RedisKeys.ExtraInfo(key), RedisKeys.LifeRooms(life), RedisKeys.RoomSeq],
                [request.UserId, value, life, request.MaxMemberCount, RoomRef(appId, request.RoomId)])))!;
        }
        catch
        {
            bool closed;
            lock (room.Gate)
            {
                room.PendingJoins--;
                closed = room.TryCloseLocked();
            }
            if (closed) CloseLocal(room);
            throw;
        }

        bool full = (int)r[0] == 1;
        bool isNew = (int)r[1] == 1;
        long seq = (long)r[2];
        int max = (int)r[3];
        int count = (int)r[4];
        string previous = (string)r[5]!;
        RoomMember? member = null, replacedHere = null;
        bool closedNow = false;
        lock (room.Gate)
        {
            room.PendingJoins--;
            room.Seq = seq;
            room.MaxMemberCount = max;
            if (full) closedNow = room.TryCloseLocked();
            else
            {
                member = createMember(room);
                replacedHere = room.AddLocked(member);
            }
        }
        if (closedNow) CloseLocal(room);
        if (full) return new RoomJoinResult(RoomJoinStatus.RoomFull, room, null, isNew, null, false, count, max, []);

        bool wasInRoom = previous.Length > 0;
        if (wasInRoom && RedisMemberValue.LifeOf(previous) is var previousLife && previousLife != life)
        {
            // The previous login is on another node (or an old life of this one, which the sweep removes): its node kicks it.
            replacedHere = null;
            var message = new BusWriter(BusMessageKind.Replaced).Int((int)appId).String(request.RoomId).String(request.UserId).String(previous).ToArray();
            Publish(RedisKeys.NodeChannel(RedisMemberValue.NodeOf(previousLife)), message);
        }

        var all = (RedisResult[])r[6]!;
        var others = new List<RoomMemberInfo>(Math.Max(0, all.Length / 2 - 1));
        for (int i = 0; i + 1 < all.Length; i += 2)
        {
            string uid = (string)all[i]!;
            if (uid != request.UserId) others.Add(RedisMemberValue.Parse(uid, (string)all[i + 1]!));
        }
        return new RoomJoinResult(RoomJoinStatus.Joined, room, member, isNew, replacedHere, wasInRoom, count, max, others);
    }

    /// <inheritdoc />
    public async ValueTask<RoomLeaveResult> LeaveAsync(RoomMember member)
    {
        var room = member.Room;
        bool removed, closed;
        lock (room.Gate)
        {
            removed = room.RemoveLocked(member);
            closed = removed && room.IsClosed;
        }
        if (!removed) return new RoomLeaveResult(false, false, 0);
        if (closed) CloseLocal(room);
        var leave = new PendingLeave(room.Info, member.Describe(NodeId), member.UserId, Value(member), _life);
        try
        {
            return await RunLeaveAsync(leave);
        }
        catch (RoomBusException)
        {
            // Gone from this node; Redis is told when it answers again (RetryLeavesAsync), and the others then.
            _pendingLeaves.Enqueue(leave);
            throw;
        }
    }

    private async Task<RoomLeaveResult> RunLeaveAsync(PendingLeave leave)
    {
        string key = RedisKeys.Room(leave.Room.AppId, leave.Room.RoomId);
        var r = (RedisResult[])(await Bus(() => _db.ScriptEvaluateAsync(LeaveScript,
            [RedisKeys.Members(key), RedisKeys.LifeCounts(key), RedisKeys.Info(key), RedisKeys.ExtraInfo(key), RedisKeys.LifeRooms(leave.Life)],
            [leave.UserId, leave.Value, leave.Life, RoomRef(leave.Room.AppId, leave.Room.RoomId)])))!;
        return new RoomLeaveResult((int)r[0] == 1, (int)r[1] == 1, (int)r[2]);
    }

    /// <summary>
    /// Leaves that Redis did not take while it was out of reach, tried again (by the node's tick): each one that still
    /// applies is told to the room core as a dropped member (leave events, once).
    /// </summary>
    public async Task RetryLeavesAsync()
    {
        int n = _pendingLeaves.Count;
        for (int i = 0; i < n && _pendingLeaves.TryDequeue(out var leave); i++)
        {
            RoomLeaveResult left;
            try
            {
                left = await RunLeaveAsync(leave);
            }
            catch (RoomBusException)
            {
                _pendingLeaves.Enqueue(leave);
                return;
            }
            if (left.Left)
            {
                Host.OnMembersSwept(leave.Room, [leave.Member], left.RoomClosed, left.Count);
                continue;
            }
            // Not there: the first try may have reached Redis late (it timed out here but ran there), so nobody was told.
            // Told now, unless another login of the user holds the place (a replacement tells nobody of a leave).
            try
            {
                string key = RedisKeys.Room(leave.Room.AppId, leave.Room.RoomId);
                if ((await Bus(() => _db.HashGetAsync(RedisKeys.Members(key), leave.UserId))).IsNull)
                    Host.OnMembersSwept(leave.Room, [leave.Member], left.Count == 0, left.Count);
            }
            catch (RoomBusException)
            {
                _pendingLeaves.Enqueue(leave);
                return;
            }
        }
    }

    /// <summary>A leave Redis has not taken yet.</summary>
    private sealed record PendingLeave(RoomInfo Room, RoomMemberInfo Member, string UserId, string Value, string Life);

    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingLeave> _pendingLeaves = new();

    /// <summary>Drops this node's view of a room that has no member here any more, and its subscription.</summary>
    private void CloseLocal(Room room)
    {
        _local.RemoveClosed(room);
        if (room.BusState is RoomSubscription s) _ = UnsubscribeAsync(s);
    }

    private async Task UnsubscribeAsync(RoomSubscription s)
    {
        try
        {
            var queue = await s.Queue;
            await queue.UnsubscribeAsync();
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException or RoomBusException)
        {
            Log.BusFailed(_logger, "unsubscribe", ex.Message);
        }
    }

    private async Task<ChannelMessageQueue> SubscribeRoomAsync(Room room)
    {
        var queue = await Bus(() => _bus.SubscribeAsync(RedisKeys.RoomChannel(room.AppId, room.RoomId)));
        queue.OnMessage(message => OnRoomMessage(room, message));
        return queue;
    }

    /// <inheritdoc />
    public async ValueTask<int> CountAsync(uint appId, string roomId) =>
        (int)await Bus(() => _db.HashLengthAsync(RedisKeys.Members(RedisKeys.Room(appId, roomId))));

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RoomMemberInfo>> ListAsync(uint appId, string roomId)
    {
        var entries = await Bus(() => _db.HashGetAllAsync(RedisKeys.Members(RedisKeys.Room(appId, roomId))));
        return [.. entries.Select(e => RedisMemberValue.Parse(e.Name!, e.Value!))];
    }

    /// <inheritdoc />
    public async ValueTask<RoomMemberInfo?> FindAsync(uint appId, string roomId, string userId)
    {
        var value = await Bus(() => _db.HashGetAsync(RedisKeys.Members(RedisKeys.Room(appId, roomId)), userId));
        return value.IsNull ? null : RedisMemberValue.Parse(userId, value!);
    }

    /// <inheritdoc />
    public async ValueTask SetExtraInfoAsync(Room room, string key, string value)
    {
        string k = RedisKeys.Room(room.AppId, room.RoomId);
        await Bus(() => _db.ScriptEvaluateAsync(ExtraInfoScript, [RedisKeys.Members(k), RedisKeys.ExtraInfo(k)], [key, value]));
    }

    /// <inheritdoc />
    public Room? FindLocal(uint appId, string roomId) => _local.Find(appId, roomId);

    /// <inheritdoc />
    public IEnumerable<Room> LocalRooms => _local.All;

    // ---- delivery ------------------------------------------------------------------------------

    /// <inheritdoc />
    public void SendToRoom(uint appId, string roomId, EncodedFrame frame, Delivery delivery, string? exceptUserId = null, RoomAudience audience = RoomAudience.Everyone)
    {
        var message = new BusWriter(BusMessageKind.Room).Byte((byte)delivery).Byte((byte)audience).String(exceptUserId).ToArray(frame.Bytes);
        Publish(RedisKeys.RoomChannel(appId, roomId), message);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> SendToUsersAsync(uint appId, string roomId, IReadOnlyList<string> userIds, EncodedFrame frame, Delivery delivery, string? exceptUserId = null)
    {
        var targets = userIds.Where(u => !string.Equals(u, exceptUserId, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToArray();
        if (targets.Length == 0) return [];
        var values = await Bus(() => _db.HashGetAsync(RedisKeys.Members(RedisKeys.Room(appId, roomId)), [.. targets.Select(t => (RedisValue)t)]));
        List<string>? missing = null;
        Dictionary<int, List<string>>? remote = null;
        var local = _local.Find(appId, roomId);
        for (int i = 0; i < targets.Length; i++)
        {
            if (values[i].IsNull)
            {
                (missing ??= []).Add(targets[i]);
                continue;
            }
            string life = RedisMemberValue.LifeOf(values[i]!);
            if (life == _life) local?.Find(targets[i])?.Connection.Send(frame, delivery);
            else
            {
                remote ??= [];
                int node = RedisMemberValue.NodeOf(life);
                if (!remote.TryGetValue(node, out var list)) remote[node] = list = [];
                list.Add(targets[i]);
            }
        }
        if (remote is not null)
        {
            foreach (var (node, users) in remote)
            {
                var w = new BusWriter(BusMessageKind.Users).Int((int)appId).String(roomId).Byte((byte)delivery).Int(users.Count);
                foreach (var u in users) w.String(u);
                Publish(RedisKeys.NodeChannel(node), w.ToArray(frame.Bytes));
            }
        }
        return missing ?? (IReadOnlyList<string>)[];
    }

    /// <inheritdoc />
    public void SendToConnection(IClientConnection connection, EncodedFrame frame, Delivery delivery) => connection.Send(frame, delivery);

    /// <inheritdoc />
    public async ValueTask<int> KickAsync(uint appId, string roomId, IReadOnlyList<string>? userIds, int errorCode, string reason)
    {
        string key = RedisKeys.Room(appId, roomId);
        var local = _local.Find(appId, roomId);
        if (userIds is null)
        {
            var lives = await Bus(() => _db.HashGetAllAsync(RedisKeys.LifeCounts(key)));
            int count = (int)await Bus(() => _db.HashLengthAsync(RedisKeys.Members(key)));
            foreach (var node in lives.Select(l => (string)l.Name!).Where(l => l != _life).Select(RedisMemberValue.NodeOf).Distinct())
                Publish(RedisKeys.NodeChannel(node), new BusWriter(BusMessageKind.Kick).Int((int)appId).String(roomId).Int(errorCode).String(reason).Int(-1).ToArray());
            if (local is not null)
                foreach (var m in local.Members) await Host.KickLocalAsync(m, errorCode, reason);
            return count;
        }
        var targets = userIds.Distinct(StringComparer.Ordinal).ToArray();
        if (targets.Length == 0) return 0;
        var values = await Bus(() => _db.HashGetAsync(RedisKeys.Members(key), [.. targets.Select(t => (RedisValue)t)]));
        int found = 0;
        var remote = new Dictionary<int, List<string>>();
        var here = new List<RoomMember>();
        for (int i = 0; i < targets.Length; i++)
        {
            if (values[i].IsNull) continue;
            found++;
            string life = RedisMemberValue.LifeOf(values[i]!);
            if (life == _life)
            {
                if (local?.Find(targets[i]) is { } m) here.Add(m);
            }
            else
            {
                int node = RedisMemberValue.NodeOf(life);
                if (!remote.TryGetValue(node, out var list)) remote[node] = list = [];
                list.Add(targets[i]);
            }
        }
        foreach (var (node, users) in remote)
        {
            var w = new BusWriter(BusMessageKind.Kick).Int((int)appId).String(roomId).Int(errorCode).String(reason).Int(users.Count);
            foreach (var u in users) w.String(u);
            Publish(RedisKeys.NodeChannel(node), w.ToArray());
        }
        foreach (var m in here) await Host.KickLocalAsync(m, errorCode, reason);
        return found;
    }

    private void Publish(RedisChannel channel, byte[] message)
    {
        // Fire and forget, in the order of the calls: one connection carries this node's commands in order, and Redis
        // orders the messages of one channel for every subscriber.
        try
        {
            _bus.Publish(channel, message, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            Log.BusFailed(_logger, "publish", ex.Message);
        }
    }

    // ---- what arrives ------------------------------------------------------------------------------

    private static void OnRoomMessage(Room room, ChannelMessage message)
    {
        var data = ((ReadOnlyMemory<byte>)message.Message).Span;
        var reader = new BusReader(data);
        if (reader.Kind() != BusMessageKind.Room) return;
        var delivery = (Delivery)reader.Byte();
        var audience = (RoomAudience)reader.Byte();
        string? except = reader.String();
        var members = room.Members;
        if (members.Length == 0) return;
        RoomDelivery.DeliverLocal(members, reader.Frame(), delivery, except, audience);
    }

    private async Task OnNodeMessageAsync(ChannelMessage message)
    {
        try
        {
            await HandleNodeMessageAsync((byte[])message.Message!);
        }
        catch (Exception ex)
        {
            Log.NodeMessageFailed(_logger, ex);
        }
    }

    private async Task HandleNodeMessageAsync(byte[] data)
    {
        BusMessageKind kind;
        uint appId;
        string roomId;
        RoomMember[] targets;
        int errorCode = 0;
        string reason = "";
        {
            var reader = new BusReader(data);
            kind = reader.Kind();
            appId = (uint)reader.Int();
            roomId = reader.String()!;
            var room = _local.Find(appId, roomId);
            if (room is null) return;
            switch (kind)
            {
                case BusMessageKind.Users:
                {
                    var delivery = (Delivery)reader.Byte();
                    int n = reader.Int();
                    var users = new string[n];
                    for (int i = 0; i < n; i++) users[i] = reader.String()!;
                    var frame = reader.Frame();
                    foreach (var u in users) room.Find(u)?.Connection.Send(frame, delivery);
                    return;
                }
                case BusMessageKind.Replaced:
                {
                    string userId = reader.String()!;
                    string value = reader.String()!;
                    if (room.Find(userId) is not { } member || Value(member) != value) return;
                    bool removed, closed;
                    lock (room.Gate)
                    {
                        removed = room.RemoveLocked(member);
                        closed = removed && room.IsClosed;
                    }
                    if (closed) CloseLocal(room);
                    if (removed) Host.OnReplacedElsewhere(member);
                    return;
                }
                case BusMessageKind.Kick:
                {
                    errorCode = reader.Int();
                    reason = reader.String() ?? "";
                    int n = reader.Int();
                    if (n < 0) targets = room.Members;
                    else
                    {
                        var list = new List<RoomMember>(n);
                        for (int i = 0; i < n; i++)
                            if (room.Find(reader.String()!) is { } m) list.Add(m);
                        targets = [.. list];
                    }
                    break;
                }
                default:
                    return;
            }
        }
        foreach (var m in targets) await Host.KickLocalAsync(m, errorCode, reason);
    }

    // ---- dead nodes ------------------------------------------------------------------------------

    /// <summary>Removes the room members of a dead node life, room by room, and tells the room core (once in the cluster).</summary>
    private async Task SweepLifeAsync(string life)
    {
        foreach (var entry in await _db.SetMembersAsync(RedisKeys.LifeRooms(life)))
        {
            string roomRef = entry.ToString();
            int colon = roomRef.IndexOf(':');
            if (colon <= 0 || !uint.TryParse(roomRef.AsSpan(0, colon), out uint appId)) continue;
            string roomId = roomRef[(colon + 1)..];
            string key = RedisKeys.Room(appId, roomId);
            var r = (RedisResult[])(await _db.ScriptEvaluateAsync(SweepScript,
                [RedisKeys.Members(key), RedisKeys.LifeCounts(key), RedisKeys.Info(key), RedisKeys.ExtraInfo(key)], [life]))!;
            var flat = (RedisResult[])r[3]!;
            if (flat.Length == 0) continue;
            var removed = new List<RoomMemberInfo>(flat.Length / 2);
            for (int i = 0; i + 1 < flat.Length; i += 2) removed.Add(RedisMemberValue.Parse((string)flat[i]!, (string)flat[i + 1]!));
            Log.Swept(_logger, appId, roomId, removed.Count, life);
            Host.OnMembersSwept(new RoomInfo(appId, roomId, (long)r[2]), removed, (int)r[0] == 1, (int)r[1]);
        }
    }

    /// <summary>
    /// After this node's liveness lapsed: new members are registered under the new life. The members of the old one are not
    /// registered again (the others may have swept them, with leave events and closed rooms): <see cref="RedisNode"/>
    /// closes their connections, their clients log in again, and the old life's leftovers are swept as a dead life's.
    /// </summary>
    private Task RegisterAgainAsync(string newLife)
    {
        Interlocked.Exchange(ref _life, newLife);
        return Task.CompletedTask;
    }

    /// <summary>Runs a Redis call, turning Redis's failures into <see cref="RoomBusException"/>.</summary>
    private static async Task<T> Bus<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            throw new RoomBusException("Redis did not answer: " + ex.Message, ex);
        }
    }

    /// <summary>This node's subscription to a room's channel (kept in <see cref="Room"/>'s bus state).</summary>
    private sealed record RoomSubscription(Task<ChannelMessageQueue> Queue);

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Warning, "Cluster: Redis {What} failed: {Reason}")]
        public static partial void BusFailed(ILogger logger, string what, string reason);

        [LoggerMessage(4102, LogLevel.Error, "Cluster: a message on this node's channel could not be handled")]
        public static partial void NodeMessageFailed(ILogger logger, Exception exception);

        [LoggerMessage(4103, LogLevel.Information, "Cluster: app {AppId} room {RoomId}: {Count} member(s) of dead node life {Life} removed")]
        public static partial void Swept(ILogger logger, uint appId, string roomId, int count, string life);
    }
}
