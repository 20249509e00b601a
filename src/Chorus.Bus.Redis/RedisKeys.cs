using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>
/// The Redis keys and channels of nodes and rooms (docs/deploy.md, "How nodes share rooms"). Every one starts with
/// <c>chorus:</c>. A node's <em>life</em> is its node id and the random epoch it drew at start (<c>7:3f9a0c1e</c>): a node
/// that restarts with the same id is a new life, so that the leftovers of the old one can be told apart and removed.
/// A RoomId never holds a colon, so <c>{appId}:{roomId}</c> is unambiguous.
/// </summary>
public static class RedisKeys
{
    /// <summary>A node's liveness key (value: the epoch of its live life; expires after <c>Chorus:NodeLivenessTimeout</c>).</summary>
    public static RedisKey Node(int nodeId) => $"chorus:node:{nodeId}";

    /// <summary>A node's channel: deliveries to listed users, kicks and replaced logins addressed to that node.</summary>
    public static RedisChannel NodeChannel(int nodeId) => RedisChannel.Literal($"chorus:node:{nodeId}:ch");

    /// <summary>The set of node lives that joined the cluster and were not swept yet.</summary>
    public static readonly RedisKey Lives = "chorus:nodes";

    /// <summary>The rooms a node life has members in (<c>{appId}:{roomId}</c>), for the sweep after it died.</summary>
    public static RedisKey LifeRooms(string life) => $"chorus:node:{life}:rooms";

    /// <summary>The lock of the one node that sweeps a dead life.</summary>
    public static RedisKey SweepLock(string life) => $"chorus:node:{life}:sweep";

    /// <summary>The counter of room lives (<c>room_seq</c>).</summary>
    public static readonly RedisKey RoomSeq = "chorus:room:seq";

    /// <summary>A room's key prefix.</summary>
    public static string Room(uint appId, string roomId) => $"chorus:room:{appId}:{roomId}";

    /// <summary>A room's members: UserId to the member's value (<see cref="RedisMemberValue"/>).</summary>
    public static RedisKey Members(string room) => room + ":m";

    /// <summary>A room's member count per node life.</summary>
    public static RedisKey LifeCounts(string room) => room + ":n";

    /// <summary>A room's life: <c>seq</c> and <c>max</c> (MaxMemberCount).</summary>
    public static RedisKey Info(string room) => room + ":i";

    /// <summary>A room's extra info, by key.</summary>
    public static RedisKey ExtraInfo(string room) => room + ":x";

    /// <summary>A room's channel: its room-wide deliveries, subscribed by the nodes that have members of it.</summary>
    public static RedisChannel RoomChannel(uint appId, string roomId) => RedisChannel.Literal($"chorus:room:{appId}:{roomId}:ch");
}

/// <summary>
/// A member's value in a room's members hash: <c>{life}|{connectionId}|{loginTimeMs}|{userName}</c> (the name last: it
/// may hold anything). Unique per login; a leave or a kick removes a member only when the value is still the same.
/// </summary>
public static class RedisMemberValue
{
    /// <summary>The value of a login.</summary>
    public static string Of(string life, long connectionId, long loginTimeMs, string userName) => $"{life}|{connectionId}|{loginTimeMs}|{userName}";

    /// <summary>The life part of a value.</summary>
    public static string LifeOf(string value) => value[..value.IndexOf('|')];

    /// <summary>The node id of a life (<c>7:3f9a0c1e</c> → 7).</summary>
    public static int NodeOf(string life) => int.Parse(life.AsSpan(0, life.IndexOf(':')), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Parses a value into the member it describes.</summary>
    public static RoomMemberInfo Parse(string userId, string value)
    {
        var parts = value.Split('|', 4);
        return new RoomMemberInfo(userId, parts[3], NodeOf(parts[0]), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }
}
