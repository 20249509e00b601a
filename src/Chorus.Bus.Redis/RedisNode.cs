using System.Security.Cryptography;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>
/// This node in the cluster: it claims its node id in Redis at start (<c>chorus:node:{id}</c>, SET NX; a configured
/// <c>Chorus:NodeId</c> held by a live node refuses the start, an unset one takes a free id), keeps that liveness key
/// alive (refreshed every third of <c>Chorus:NodeLivenessTimeout</c>), and every 2 s looks for node lives whose key
/// expired: one node (a SET NX lock) sweeps a dead life's room members, with the usual leave events, then raises
/// <see cref="NodeDied"/>. A member is gone from presence at most NodeLivenessTimeout + 2 s (+ the sweep) after its node
/// stopped answering.
/// </summary>
public sealed partial class RedisNode : BackgroundService
{
    /// <summary>How long a node holds the lock on sweeping one dead life.</summary>
    public static readonly TimeSpan SweepLockTime = TimeSpan.FromSeconds(10);

    /// <summary>How often the others look for dead nodes.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(2);

    private const string RefreshScript = """
        local v = redis.call('GET', KEYS[1])
        if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        if not v then return 2 end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly ChorusServerOptions _server;
    private readonly ClusterOptions _cluster;
    private readonly RedisBusInfo _info;
    private readonly ILogger<RedisNode> _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly Lock _gate = new();
    private NodeIdentity? _identity;
    private string _epoch = NewEpoch();

    /// <summary>Creates the node (it claims its id when <see cref="Identity"/> is first read).</summary>
    public RedisNode(IConnectionMultiplexer redis, IOptions<ChorusServerOptions> server, IOptions<ClusterOptions> cluster, RedisBusInfo info, ILogger<RedisNode> logger, IHostApplicationLifetime? lifetime = null)
    {
        _redis = redis;
        _server = server.Value;
        _cluster = cluster.Value;
        _info = info;
        _logger = logger;
        _lifetime = lifetime;
    }

    /// <summary>
    /// Raised once in the cluster for each node life that died, on the node that swept it (after its room members were
    /// removed), with that node's id. A handler may clean up what that node left (chat logins). The next life of the same
    /// id may already be running: ask <see cref="IsAliveAsync"/> for the id's state now.
    /// </summary>
    public event Func<int, Task>? NodeDied;

    /// <summary>This node's id, claimed in Redis (synchronously, at the first read: during the start).</summary>
    /// <exception cref="ChorusStartupException">Redis cannot be reached, or the configured node id is held by a live node.</exception>
    public NodeIdentity Identity
    {
        get
        {
            lock (_gate) return _identity ??= Claim();
        }
    }

    /// <summary>This node's life: <c>{id}:{epoch}</c> (a new epoch at each start, and after its liveness lapsed).</summary>
    public string Life => $"{Identity.Id}:{Volatile.Read(ref _epoch)}";

    /// <summary>Sweeps the room members of a dead life (set by the room lifetime manager).</summary>
    internal Func<string, Task>? RoomSweeper { get; set; }

    /// <summary>Work the room manager does on each tick while Redis answers (leaves to tell it again).</summary>
    internal Func<Task>? Tick { get; set; }

    /// <summary>Told when this node's liveness lapsed and it took a new life (the room manager takes the new life for its next members).</summary>
    internal Func<string, Task>? LifeRenewed { get; set; }

    /// <summary>Closes every local client connection (1012), after a lapse; set by <see cref="RedisBusServiceCollectionExtensions.AddRedisBus"/>.</summary>
    internal Action? CloseLocalConnections { get; set; }

    /// <summary>Whether node <paramref name="nodeId"/> is alive now (its liveness key exists).</summary>
    public async Task<bool> IsAliveAsync(int nodeId) => await _redis.GetDatabase().KeyExistsAsync(RedisKeys.Node(nodeId));

    private static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private NodeIdentity Claim()
    {
        var db = _redis.GetDatabase();
        var ttl = _cluster.NodeLivenessTimeout;
        try
        {
            int id;
            if (_server.NodeId is { } configured)
            {
                if (!db.StringSet(RedisKeys.Node(configured), _epoch, ttl, When.NotExists))
                    throw new ChorusStartupException($"Chorus:NodeId {configured} is held by a live node of this cluster (Redis key chorus:node:{configured}): give every node its own Chorus:NodeId, or wait {ttl.TotalSeconds:0} s after that node stopped", 2);
                id = configured;
            }
            else
            {
                int start = RandomNumberGenerator.GetInt32(NodeIdentity.MaxId + 1);
                id = -1;
                for (int i = 0; i <= NodeIdentity.MaxId && id < 0; i++)
                {
                    int candidate = (start + i) % (NodeIdentity.MaxId + 1);
                    if (db.StringSet(RedisKeys.Node(candidate), _epoch, ttl, When.NotExists)) id = candidate;
                }
                if (id < 0) throw new ChorusStartupException($"every node id (0-{NodeIdentity.MaxId}) is held by a live node of this cluster", 1);
            }
            db.SetAdd(RedisKeys.Lives, $"{id}:{_epoch}");
            Log.Claimed(_logger, id, _epoch);
            return new NodeIdentity(id);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // StackExchange.Redis's own text is a page of connection state: one line says it.
            throw new ChorusStartupException($"cannot reach Redis at {_info.Endpoints} (Chorus:Redis): it did not answer ({(ex is RedisConnectionException c ? c.FailureType.ToString() : "timed out")})", 1, ex);
        }
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Identity; // claimed before the server listens
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = TimeSpan.FromTicks(Math.Min(SweepInterval.Ticks, _cluster.NodeLivenessTimeout.Ticks / 3));
        var nextSweep = DateTime.UtcNow + SweepInterval;
        // The liveness refresh runs in a loop of its own: a long sweep of a big dead node (one script per room) must not
        // delay it past the timeout, or the others would take this node for dead in turn.
        await Task.WhenAll(
            LoopAsync(tick, RefreshAsync, stoppingToken),
            LoopAsync(tick, async () =>
            {
                if (Tick is { } roomTick) await roomTick();
                if (DateTime.UtcNow >= nextSweep)
                {
                    nextSweep = DateTime.UtcNow + SweepInterval;
                    await SweepDeadAsync();
                }
            }, stoppingToken));
    }

    private async Task LoopAsync(TimeSpan period, Func<Task> step, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await step();
                }
                catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
                {
                    Log.Unreachable(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_identity is null) return;
        try
        {
            // Gone at once: what this life left behind is swept by the others within the sweep interval.
            await _redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [RedisKeys.Node(_identity.Id)], [_epoch]).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException or TimeoutException or OperationCanceledException)
        {
            Log.Unreachable(_logger, ex.Message);
        }
    }

    private async Task RefreshAsync()
    {
        var db = _redis.GetDatabase();
        var key = RedisKeys.Node(Identity.Id);
        long ttlMs = (long)_cluster.NodeLivenessTimeout.TotalMilliseconds;
        int state = (int)await db.ScriptEvaluateAsync(RefreshScript, [key], [_epoch, ttlMs]);
        if (state == 1) return;
        if (state == 0)
        {
            Log.IdTaken(_logger, Identity.Id);
            _lifetime?.StopApplication();
            return;
        }
        // Our key expired (Redis out of reach, or this process paused, longer than the timeout): the others may have swept
        // our members as a dead life's already (leave events sent, webhooks fired, rooms closed), so this node's local view
        // of its rooms and logins can no longer be trusted. Take a new life and close every local connection (1012, as at
        // a restart): the clients reconnect, to any node, and log in again, which tells everyone they are back; what the
        // old life left in Redis is swept by the others as a dead life's.
        string epoch = NewEpoch();
        if (!await db.StringSetAsync(key, epoch, _cluster.NodeLivenessTimeout, When.NotExists))
        {
            Log.IdTaken(_logger, Identity.Id);
            _lifetime?.StopApplication();
            return;
        }
        Volatile.Write(ref _epoch, epoch);
        await db.SetAddAsync(RedisKeys.Lives, Life);
        Log.Lapsed(_logger, Identity.Id, epoch);
        if (LifeRenewed is { } renewed) await renewed(Life);
        CloseLocalConnections?.Invoke();
    }

    /// <summary>Looks for dead lives once and sweeps those whose lock this node wins (also called by tests).</summary>
    public async Task SweepDeadAsync()
    {
        var db = _redis.GetDatabase();
        string mine = Life;
        foreach (var entry in await db.SetMembersAsync(RedisKeys.Lives))
        {
            string life = entry.ToString();
            if (life == mine) continue;
            int colon = life.IndexOf(':');
            if (colon <= 0 || !int.TryParse(life.AsSpan(0, colon), out int id)) continue;
            string epoch = life[(colon + 1)..];
            if ((string?)await db.StringGetAsync(RedisKeys.Node(id)) == epoch) continue; // alive
            // The lock outlives a normal sweep; one that failed half way frees it at once, so another round (this node's or
            // another's) takes the rest well within the documented bound.
            if (!await db.StringSetAsync(RedisKeys.SweepLock(life), mine, SweepLockTime, When.NotExists)) continue; // another node sweeps it
            Log.Sweeping(_logger, life);
            try
            {
                if (RoomSweeper is { } sweep) await sweep(life);
            }
            catch
            {
                await db.KeyDeleteAsync(RedisKeys.SweepLock(life), CommandFlags.FireAndForget);
                throw;
            }
            if (NodeDied is { } died)
            {
                foreach (var handler in died.GetInvocationList().Cast<Func<int, Task>>())
                {
                    try
                    {
                        await handler(id);
                    }
                    catch (Exception ex)
                    {
                        Log.NodeDiedHandlerFailed(_logger, id, ex);
                    }
                }
            }
            await db.SetRemoveAsync(RedisKeys.Lives, life);
            await db.KeyDeleteAsync(RedisKeys.LifeRooms(life));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Information, "Cluster: this node is node {NodeId} (life {Epoch})")]
        public static partial void Claimed(ILogger logger, int nodeId, string epoch);

        [LoggerMessage(4002, LogLevel.Warning, "Cluster: Redis did not answer ({Reason}); local connections stay, room work across nodes waits for it")]
        public static partial void Unreachable(ILogger logger, string reason);

        [LoggerMessage(4003, LogLevel.Critical, "Cluster: node id {NodeId} was taken by another node while this one could not reach Redis; stopping")]
        public static partial void IdTaken(ILogger logger, int nodeId);

        [LoggerMessage(4004, LogLevel.Warning, "Cluster: this node's liveness lapsed (Redis out of reach too long); it is node {NodeId} again in a new life {Epoch} and closes its connections (the clients reconnect and log in again)")]
        public static partial void Lapsed(ILogger logger, int nodeId, string epoch);

        [LoggerMessage(4005, LogLevel.Information, "Cluster: node life {Life} is dead; this node removes its room members")]
        public static partial void Sweeping(ILogger logger, string life);

        [LoggerMessage(4006, LogLevel.Error, "Cluster: a NodeDied handler failed for node {NodeId}")]
        public static partial void NodeDiedHandlerFailed(ILogger logger, int nodeId, Exception exception);
    }
}

/// <summary>What the bus tells about its Redis without its secrets (the endpoints, for messages).</summary>
/// <param name="Endpoints">The configured endpoints, e.g. <c>127.0.0.1:6379</c>.</param>
public sealed record RedisBusInfo(string Endpoints);
