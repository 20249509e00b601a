using System.Globalization;

namespace Chorus.ExternalServers;

/// <summary>
/// Several <c>chorus serve</c> processes forming one service: one fresh redis-server, one fresh database on the shared
/// PostgreSQL server, and nodes started with <c>--redis</c>, <c>--postgres</c>, <c>--Chorus:NodeId=N</c> (1, 2, 3...)
/// and the same further arguments (apps, settings). Disposing it kills the nodes and the redis-server.
/// </summary>
public sealed class ChorusCluster : IAsyncDisposable
{
    private readonly List<ChorusNode> _nodes = [];
    private readonly IReadOnlyList<string> _arguments;
    private int _nextNodeId;

    private ChorusCluster(RedisServer redis, PostgresServer postgres, string postgresConnectionString, IReadOnlyList<string> arguments)
    {
        Redis = redis;
        Postgres = postgres;
        PostgresConnectionString = postgresConnectionString;
        _arguments = arguments;
    }

    /// <summary>The cluster's redis-server.</summary>
    public RedisServer Redis { get; }

    /// <summary>The shared PostgreSQL server.</summary>
    public PostgresServer Postgres { get; }

    /// <summary>The connection string of this cluster's own database.</summary>
    public string PostgresConnectionString { get; }

    /// <summary>The nodes in the order started (node ids 1, 2, 3... for those of <see cref="StartAsync"/>), killed ones included.</summary>
    public IReadOnlyList<ChorusNode> Nodes
    {
        get { lock (_nodes) return [.. _nodes]; }
    }

    /// <summary>The node at <paramref name="index"/> (0-based; its node id is index + 1).</summary>
    public ChorusNode this[int index] => Nodes[index];

    /// <summary>The arguments every node gets (besides <c>--Chorus:NodeId</c>).</summary>
    public IReadOnlyList<string> NodeArguments => [.. _arguments];

    /// <summary>
    /// Starts a redis-server, creates a database on the shared PostgreSQL server and starts <paramref name="nodes"/>
    /// nodes in parallel, each with <paramref name="arguments"/> (such as <c>--app 1001:SECRET</c>, <c>--Chorus:Key=Value</c>).
    /// </summary>
    public static async Task<ChorusCluster> StartAsync(int nodes, IEnumerable<string>? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        var postgresTask = PostgresServer.GetSharedAsync();
        var redis = await RedisServer.StartAsync(cancellationToken);
        ChorusCluster? cluster = null;
        try
        {
            var postgres = await postgresTask;
            string database = await postgres.CreateDatabaseAsync(cancellationToken);
            cluster = new ChorusCluster(redis, postgres, database, ["--redis", redis.Configuration, "--postgres", database, .. arguments ?? []]);
            var starts = Enumerable.Range(1, nodes).Select(id => cluster.StartNodeCoreAsync(id, null, cancellationToken)).ToArray();
            cluster._nextNodeId = nodes;
            try
            {
                await Task.WhenAll(starts);
            }
            catch
            {
                foreach (var started in starts.Where(t => t.IsCompletedSuccessfully)) await started.Result.DisposeAsync();
                // report the first failure, not an aggregate of identical ones
                throw starts.First(t => t.IsFaulted).Exception!.InnerException!;
            }
            lock (cluster._nodes) cluster._nodes.AddRange(starts.Select(t => t.Result));
            return cluster;
        }
        catch
        {
            if (cluster is not null) await cluster.DisposeAsync();
            else await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts one more node with the cluster's arguments and the next node id (or <paramref name="nodeId"/>), plus
    /// <paramref name="extraArguments"/>; it is added to <see cref="Nodes"/>.
    /// </summary>
    public async Task<ChorusNode> StartNodeAsync(int? nodeId = null, IEnumerable<string>? extraArguments = null, CancellationToken cancellationToken = default)
    {
        int id = nodeId ?? Interlocked.Increment(ref _nextNodeId);
        var node = await StartNodeCoreAsync(id, extraArguments, cancellationToken);
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    private Task<ChorusNode> StartNodeCoreAsync(int id, IEnumerable<string>? extraArguments, CancellationToken cancellationToken) =>
        ChorusNode.StartAsync([.. _arguments, $"--Chorus:NodeId={id.ToString(CultureInfo.InvariantCulture)}", .. extraArguments ?? []], null, cancellationToken);

    /// <summary>Kills every node and the redis-server (the database stays until the PostgreSQL server stops).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
