using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Chorus.ExternalServers;

namespace Chorus.Bench;

/// <summary>
/// A server under test as one or more processes (Chorus nodes) plus the servers they share (redis-server, PostgreSQL),
/// each measured from outside: CPU time from /proc for every process, Redis's command counts from <c>INFO</c>.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    private static readonly Lazy<Task<PostgresServer>> s_postgres = new(PostgresServer.StartDurableAsync);

    private readonly RedisServer? _redis;
    private readonly int _redisProcessId;
    private readonly PostgresServer? _postgres;

    private Deployment(string name, IReadOnlyList<ServerProcess> nodes, RedisServer? redis, int redisProcessId, PostgresServer? postgres, IBenchTarget? target = null)
    {
        Name = name;
        Target = target ?? new ChorusTarget();
        Nodes = nodes;
        _redis = redis;
        _redisProcessId = redisProcessId;
        _postgres = postgres;
    }

    /// <summary>The row's name in the tables.</summary>
    public string Name { get; }

    /// <summary>The name of the ceiling's row.</summary>
    public static string CeilingName => new RawTarget().Name;

    /// <summary>The names of the Chorus rows.</summary>
    public const string EmbeddedName = "Chorus, 1 node, embedded (SQLite)";

    /// <inheritdoc cref="EmbeddedName"/>
    public const string PostgresName = "Chorus, 1 node, PostgreSQL";

    /// <inheritdoc cref="EmbeddedName"/>
    public static string ClusterName(int nodes) => $"Chorus, {nodes} node{(nodes == 1 ? "" : "s")}, Redis + PostgreSQL";

    /// <summary>How clients connect to it and publish.</summary>
    public IBenchTarget Target { get; }

    /// <summary>The server processes clients connect to, in node order (node id = index + 1 on Redis).</summary>
    public IReadOnlyList<ServerProcess> Nodes { get; }

    /// <summary>Whether the nodes share a redis-server (whose CPU and commands are then read).</summary>
    public bool HasRedis => _redis is not null;

    /// <summary>Whether the nodes store chat in PostgreSQL (whose CPU is then read).</summary>
    public bool HasPostgres => _postgres is not null;

    /// <summary>The ceiling: bench/peers/raw, one process.</summary>
    public static async Task<Deployment> CeilingAsync() => new(CeilingName, [await new RawTarget().StartAsync()], null, 0, null, new RawTarget());

    /// <summary>One Chorus node as shipped: in-process rooms, SQLite.</summary>
    public static async Task<Deployment> EmbeddedAsync() => new(EmbeddedName, [await ChorusTarget.StartAsync([])], null, 0, null);

    /// <summary>One Chorus node storing chat in PostgreSQL (<c>--postgres</c> alone), in a fresh database.</summary>
    public static async Task<Deployment> PostgresAsync()
    {
        var postgres = await s_postgres.Value;
        string database = await postgres.CreateDatabaseAsync();
        return new(PostgresName, [await ChorusTarget.StartAsync(["--postgres", database])], null, 0, postgres);
    }

    /// <summary>
    /// <paramref name="nodes"/> Chorus nodes forming one service: a fresh redis-server, a fresh database on the bench's
    /// PostgreSQL, node ids 1..N.
    /// </summary>
    public static async Task<Deployment> ClusterAsync(int nodes)
    {
        var postgres = await s_postgres.Value;
        string database = await postgres.CreateDatabaseAsync();
        var redis = await RedisServer.StartAsync();
        var started = new List<ServerProcess>();
        try
        {
            int redisProcessId = int.Parse(ParseInfo(await InfoAsync(redis, "server"))["process_id"], CultureInfo.InvariantCulture);
            for (int id = 1; id <= nodes; id++)
                started.Add(await ChorusTarget.StartAsync(["--redis", redis.Configuration, "--postgres", database, $"--Chorus:NodeId={id}"]));
            return new(ClusterName(nodes), started, redis, redisProcessId, postgres);
        }
        catch
        {
            foreach (var node in started) await node.DisposeAsync();
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>The client's node when clients are spread over the nodes in turn.</summary>
    public ServerProcess NodeFor(int client) => Nodes[client % Nodes.Count];

    /// <summary>CPU of every process and Redis's counters now; two of these bound a measured window.</summary>
    public async Task<Snapshot> SnapshotAsync()
    {
        var nodes = Nodes.Aggregate(TimeSpan.Zero, (sum, n) => sum + n.CpuTime());
        var redisCpu = _redis is null ? TimeSpan.Zero : ServerProcess.CpuTimeOf(_redisProcessId);
        var postgresCpu = _postgres is null ? TimeSpan.Zero : ServerProcess.CpuTimeOfTree(_postgres.ProcessId);
        var calls = new Dictionary<string, long>();
        long netIn = 0, netOut = 0;
        if (_redis is not null)
        {
            foreach (var (key, value) in ParseInfo(await InfoAsync(_redis, "commandstats")))
                if (key.StartsWith("cmdstat_", StringComparison.Ordinal) && key != "cmdstat_info")
                    calls[key["cmdstat_".Length..]] = long.Parse(value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
            var stats = ParseInfo(await InfoAsync(_redis, "stats"));
            netIn = long.Parse(stats["total_net_input_bytes"], CultureInfo.InvariantCulture);
            netOut = long.Parse(stats["total_net_output_bytes"], CultureInfo.InvariantCulture);
        }
        return new Snapshot(nodes, redisCpu, postgresCpu, calls, netIn, netOut);
    }

    /// <summary>Redis's used_memory in bytes (INFO memory), or 0 without Redis.</summary>
    public async Task<long> RedisUsedMemoryAsync() =>
        _redis is null ? 0 : long.Parse(ParseInfo(await InfoAsync(_redis, "memory"))["used_memory"], CultureInfo.InvariantCulture);

    /// <summary>Resident memory of each node, in MB, as "310 / 295".</summary>
    public string ResidentMbPerNode() => string.Join(" / ", Nodes.Select(n => (n.ResidentBytes() / 1048576.0).ToString("F0", CultureInfo.InvariantCulture)));

    /// <summary>Sends <c>INFO section</c> over a plain connection (RESP) and returns the bulk reply.</summary>
    private static async Task<string> InfoAsync(RedisServer redis, string section)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync("127.0.0.1", redis.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"INFO {section}\r\n"), timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int expected = -1;
        while (true)
        {
            int n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) throw new IOException("redis-server closed the connection during INFO");
            received.Write(buffer, 0, n);
            var bytes = received.GetBuffer().AsSpan(0, (int)received.Length);
            int header = bytes.IndexOf("\r\n"u8);
            if (header < 0) continue;
            if (expected < 0)
            {
                if (bytes[0] != (byte)'$') throw new IOException("unexpected INFO reply: " + Encoding.ASCII.GetString(bytes));
                expected = int.Parse(Encoding.ASCII.GetString(bytes[1..header]), CultureInfo.InvariantCulture);
            }
            if (bytes.Length >= header + 2 + expected) return Encoding.ASCII.GetString(bytes.Slice(header + 2, expected));
        }
    }

    private static Dictionary<string, string> ParseInfo(string info) =>
        info.Split("\r\n").Where(l => l.Length > 0 && l[0] != '#' && l.Contains(':')).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1]);

    /// <summary>Stops the nodes and the redis-server (the database stays until the bench's PostgreSQL stops at exit).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
    }
}

/// <summary>CPU times and Redis counters at one moment.</summary>
internal sealed record Snapshot(TimeSpan NodesCpu, TimeSpan RedisCpu, TimeSpan PostgresCpu, IReadOnlyDictionary<string, long> RedisCalls, long RedisNetIn, long RedisNetOut)
{
    /// <summary>What happened between <paramref name="start"/> and this.</summary>
    public Usage Since(Snapshot start, double seconds)
    {
        var calls = RedisCalls.ToDictionary(c => c.Key, c => c.Value - start.RedisCalls.GetValueOrDefault(c.Key));
        return new Usage(seconds, (NodesCpu - start.NodesCpu).TotalSeconds, (RedisCpu - start.RedisCpu).TotalSeconds, (PostgresCpu - start.PostgresCpu).TotalSeconds,
            calls.Where(c => c.Value > 0).OrderByDescending(c => c.Value).ToList(), RedisNetIn - start.RedisNetIn, RedisNetOut - start.RedisNetOut);
    }
}

/// <summary>CPU-seconds spent and Redis commands and bytes during a window of <see cref="Seconds"/>.</summary>
internal sealed record Usage(double Seconds, double NodesCpuSeconds, double RedisCpuSeconds, double PostgresCpuSeconds,
    IReadOnlyList<KeyValuePair<string, long>> RedisCalls, long RedisBytesIn, long RedisBytesOut)
{
    public long RedisCommands => RedisCalls.Sum(c => c.Value);

    public long RedisCallsOf(params string[] commands) => RedisCalls.Where(c => commands.Contains(c.Key)).Sum(c => c.Value);

    /// <summary>"publish 3.00, evalsha 0.01" per <paramref name="unit"/> (the commands that ran at least once per 100 units).</summary>
    public string Breakdown(long units) => units <= 0 ? "–" : string.Join(", ", RedisCalls.Where(c => c.Value * 100 >= units)
        .Select(c => $"{c.Key} {((double)c.Value / units).ToString("0.00", CultureInfo.InvariantCulture)}"));
}
