namespace Chorus.Bus.Redis;

/// <summary>
/// The Lua scripts of chat on Redis (each runs atomically on the server). Keys are named in docs/deploy.md ("How nodes
/// share chat"); every script that reaches keys it is not given builds them from the same prefixes as
/// <see cref="RedisChatKeys"/> (one Redis server or a primary with replicas; not Redis Cluster).
/// </summary>
internal static class RedisChatScripts
{
    /// <summary>The value written into conversationSeq and orderKey of a room message before the script knows its sequence.</summary>
    public const long SeqSentinel = 987654321987654321;

    // A room emptied: its keys go and the app has one room fewer.
    private const string CloseRoom = """
        local function close_room(app, room)
          local base = 'chorus:chat:'
          redis.call('DEL', base .. 'roominfo:' .. app .. ':' .. room, base .. 'roommembers:' .. app .. ':' .. room,
            base .. 'roomhist:' .. app .. ':' .. room, base .. 'roomlids:' .. app .. ':' .. room)
          redis.call('SREM', base .. 'rooms:' .. app, room)
        end
        """;

    // The user's connected memberships enter the grace period (at score/value 'at').
    private const string StartGrace = """
        local function start_grace(app, user, at, grace)
          for _, room in ipairs(redis.call('SMEMBERS', 'chorus:chat:userrooms:' .. app .. ':' .. user)) do
            local mk = 'chorus:chat:roommembers:' .. app .. ':' .. room
            if redis.call('HGET', mk, user) == '0' then
              redis.call('HSET', mk, user, at)
              redis.call('ZADD', grace, at, app .. '\n' .. room .. '\n' .. user)
            end
          end
        end
        """;

    /// <summary>KEYS: login hash, node logins. ARGV: user, login value, node-logins member. Returns the replaced login value or nil.</summary>
    public const string Login = """
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[3])
        return old
        """;

    /// <summary>KEYS: login hash, node logins, grace. ARGV: user, login value, node-logins member, now ms, app. 1 when the login was in force.</summary>
    public const string Logout = StartGrace + """

        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('SREM', KEYS[2], ARGV[3])
        start_grace(ARGV[5], ARGV[1], ARGV[4], KEYS[3])
        return 1
        """;

    /// <summary>KEYS: user's rooms. ARGV: user, members-key prefix. The rooms where the user is a connected member.</summary>
    public const string ConnectedRooms = """
        local out = {}
        for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if redis.call('HGET', ARGV[2] .. room, ARGV[1]) == '0' then out[#out + 1] = room end
        end
        return out
        """;

    /// <summary>
    /// KEYS: dead node's logins, grace. ARGV: "{node}:" prefix of its login values, the time its members' grace started
    /// (now minus the grace period: they go at the next grace sweep), batch. Returns {taken, removed}.
    /// </summary>
    public const string SweepNode = StartGrace + """

        local members = redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))
        local n = 0
        for _, m in ipairs(members) do
          local sep = string.find(m, ':', 1, true)
          local app = string.sub(m, 1, sep - 1)
          local user = string.sub(m, sep + 1)
          local lk = 'chorus:chat:login:' .. app
          local v = redis.call('HGET', lk, user)
          if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then
            redis.call('HDEL', lk, user)
            start_grace(app, user, ARGV[2], KEYS[2])
            n = n + 1
          end
        end
        return {#members, n}
        """;

    /// <summary>KEYS: grace. ARGV: cutoff ms, batch. Removes members whose grace ended; returns how many entries were due.</summary>
    public const string SweepGrace = CloseRoom + """

        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
        for i = 1, #due, 2 do
          local m = due[i]
          local score = tonumber(due[i + 1])
          redis.call('ZREM', KEYS[1], m)
          local a = string.find(m, '\n', 1, true)
          local b = string.find(m, '\n', a + 1, true)
          local app = string.sub(m, 1, a - 1)
          local room = string.sub(m, a + 1, b - 1)
          local user = string.sub(m, b + 1)
          local mk = 'chorus:chat:roommembers:' .. app .. ':' .. room
          local v = redis.call('HGET', mk, user)
          if v and v ~= '0' and tonumber(v) == score then
            redis.call('HDEL', mk, user)
            redis.call('SREM', 'chorus:chat:userrooms:' .. app .. ':' .. user, room)
            if redis.call('HLEN', mk) == 0 then close_room(app, room) end
          end
        end
        return #due / 2
        """;

    /// <summary>
    /// KEYS: app's rooms, room info, members, user's rooms, grace, login hash. ARGV: user, how (c/e/j), name, now ms,
    /// max rooms per user, max rooms per app, max members, room, app, login value.
    /// </summary>
    public const string Enter = """
        if redis.call('HGET', KEYS[6], ARGV[1]) ~= ARGV[10] then return {'ended'} end
        local exists = redis.call('EXISTS', KEYS[2]) == 1
        local member = false
        if exists then member = redis.call('HGET', KEYS[3], ARGV[1]) end
        if not member and redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[5]) then return {'peruser'} end
        if not exists then
          if ARGV[2] == 'j' then return {'joinmissing'} end
          if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[6]) then return {'perapp'} end
          redis.call('HSET', KEYS[2], 'name', ARGV[3], 'ctime', ARGV[4], 'seq', 0)
          redis.call('SADD', KEYS[1], ARGV[8])
        elseif ARGV[2] == 'c' then
          return {'exists'}
        end
        if not member and redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[7]) then return {'full'} end
        if member and member ~= '0' then redis.call('ZREM', KEYS[5], ARGV[9] .. '\n' .. ARGV[8] .. '\n' .. ARGV[1]) end
        redis.call('HSET', KEYS[3], ARGV[1], '0')
        redis.call('SADD', KEYS[4], ARGV[8])
        local info = redis.call('HMGET', KEYS[2], 'name', 'seq')
        return {'ok', info[1], redis.call('HLEN', KEYS[3]), info[2]}
        """;

    /// <summary>KEYS: app's rooms, room info, members, user's rooms, grace. ARGV: user, room, app.</summary>
    public const string Leave = CloseRoom + """

        if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
        local v = redis.call('HGET', KEYS[3], ARGV[1])
        if not v then return 'notin' end
        redis.call('HDEL', KEYS[3], ARGV[1])
        redis.call('SREM', KEYS[4], ARGV[2])
        if v ~= '0' then redis.call('ZREM', KEYS[5], ARGV[3] .. '\n' .. ARGV[2] .. '\n' .. ARGV[1]) end
        if redis.call('HLEN', KEYS[3]) == 0 then close_room(ARGV[3], ARGV[2]) end
        return 'ok'
        """;

    /// <summary>KEYS: room info, members, (history). ARGV: user, what (m = members, h = history).</summary>
    public const string Read = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
        if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'notin'} end
        local items
        if ARGV[2] == 'm' then items = redis.call('HKEYS', KEYS[2]) else items = redis.call('LRANGE', KEYS[3], 0, -1) end
        table.insert(items, 1, 'ok')
        return items
        """;

    /// <summary>
    /// KEYS: room info, members, history, retry keys. ARGV: sender, trusted (1/0), stored (1/0), history count, history
    /// age ms, retry key ("" without LocalMessageId), history entry, frame payload, room channel, delivery class.
    /// Sequences, keeps and publishes in one step, so every node gets the room's messages in sequence order.
    /// </summary>
    public const string Send = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
        if ARGV[2] == '0' and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'notin'} end
        local head = ARGV[1] .. '\n' .. ARGV[10] .. '\n'
        if ARGV[3] == '0' then
          redis.call('PUBLISH', ARGV[9], head .. ARGV[8])
          return {'ok', 0}
        end
        local keep = tonumber(ARGV[4])
        if ARGV[6] ~= '' and keep > 0 then
          local at = redis.call('LPOS', KEYS[4], ARGV[6])
          if at then return {'dup', redis.call('LINDEX', KEYS[3], at)} end
        end
        local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
        local s = tostring(seq)
        local function fill(json)
          json = string.gsub(json, '"conversationSeq":987654321987654321', '"conversationSeq":' .. s, 1)
          json = string.gsub(json, '"orderKey":987654321987654321', '"orderKey":' .. s, 1)
          return json
        end
        local payload = fill(ARGV[8])
        if keep > 0 then
          redis.call('LPUSH', KEYS[3], fill(ARGV[7]))
          redis.call('LPUSH', KEYS[4], ARGV[6])
          redis.call('LTRIM', KEYS[3], 0, keep - 1)
          redis.call('LTRIM', KEYS[4], 0, keep - 1)
          redis.call('PEXPIRE', KEYS[3], ARGV[5])
          redis.call('PEXPIRE', KEYS[4], ARGV[5])
        end
        redis.call('PUBLISH', ARGV[9], head .. payload)
        return {'ok', seq}
        """;

    /// <summary>KEYS: the window. ARGV: limit, a unique member. A sliding one-second window on Redis's own clock; 1 = taken.</summary>
    public const string RateLimit = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000000)
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
        redis.call('ZADD', KEYS[1], now, ARGV[2])
        redis.call('PEXPIRE', KEYS[1], 1000)
        return 1
        """;
}

/// <summary>The Redis keys and channels of chat (all under <c>chorus:chat:</c>; the server API's limits under <c>chorus:rate:</c>).</summary>
internal static class RedisChatKeys
{
    public const string Prefix = "chorus:chat:";
    /// <summary>Hash: UserId → login value "{node}:{login}" (one chat login per user in the cluster).</summary>
    public static string Login(uint app) => $"{Prefix}login:{app}";
    /// <summary>Set: "{app}:{user}" of the logins a node holds (for the sweep when it dies).</summary>
    public static string NodeLogins(int node) => $"{Prefix}nodelogins:{node}";
    /// <summary>Set: node ids that hold chat state.</summary>
    public const string Nodes = Prefix + "nodes";
    /// <summary>The sweep lock of a dead node.</summary>
    public static string SweepLock(int node) => $"{Prefix}sweep:{node}";
    /// <summary>A node's chat channel.</summary>
    public static string NodeChannel(int node) => $"{Prefix}node:{node}";
    /// <summary>The liveness key of a node (written by the node itself, see the cluster contract).</summary>
    public static string NodeAlive(int node) => RedisKeys.Node(node).ToString();
    /// <summary>Set: the app's chat rooms.</summary>
    public static string Rooms(uint app) => $"{Prefix}rooms:{app}";
    /// <summary>Hash: name, ctime, seq.</summary>
    public static string RoomInfo(uint app, string room) => $"{Prefix}roominfo:{app}:{room}";
    /// <summary>Hash: UserId → "0" while connected, else when its grace began (Unix ms).</summary>
    public static string RoomMembers(uint app, string room) => $"{Prefix}roommembers:{app}:{room}";
    /// <summary>The prefix of <see cref="RoomMembers"/>.</summary>
    public static string RoomMembersPrefix(uint app) => $"{Prefix}roommembers:{app}:";
    /// <summary>List, newest first: the recent history (trimmed to the count; ages filtered on read).</summary>
    public static string RoomHistory(uint app, string room) => $"{Prefix}roomhist:{app}:{room}";
    /// <summary>List beside the history: each entry's retry key "{LocalMessageId}:{sender}" ("" without one).</summary>
    public static string RoomRetryKeys(uint app, string room) => $"{Prefix}roomlids:{app}:{room}";
    /// <summary>The channel of a room's messages, subscribed by the nodes with members of the room logged in.</summary>
    public static string RoomChannel(uint app, string room) => $"{Prefix}roomch:{app}:{room}";
    /// <summary>Set: the rooms a user is in.</summary>
    public static string UserRooms(uint app, string user) => $"{Prefix}userrooms:{app}:{user}";
    /// <summary>Sorted set: "{app}\n{room}\n{user}" of members in their grace period, by when it began.</summary>
    public const string Grace = Prefix + "grace";
    /// <summary>Sorted set: the server API calls of an app and action in the last second.</summary>
    public static string Rate(uint app, string action) => $"chorus:rate:{app}:{action}";
}
