using Chorus.Bus.Redis;
using Chorus.ExternalServers;
using Chorus.Server.Core;
using Chorus.Server.Hosting;
using Chorus.Server.Rooms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chorus.Server.Tests;

/// <summary>One node of a test cluster: its own Redis connection, node and room manager, as a Chorus process has.</summary>
public sealed class TestRedisNode : IAsyncDisposable
{
    private TestRedisNode(IConnectionMultiplexer redis, RedisNode node, RedisRoomLifetimeManager rooms)
    {
        Redis = redis;
        Node = node;
        Rooms = rooms;
    }

    public IConnectionMultiplexer Redis { get; }
    public RedisNode Node { get; }
    public RedisRoomLifetimeManager Rooms { get; }

    /// <summary>Connects to <paramref name="configuration"/> and claims a node id (<paramref name="nodeId"/>, or a free one).</summary>
    public static async Task<TestRedisNode> StartAsync(string configuration, int? nodeId = null, TimeSpan? livenessTimeout = null)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var node = new RedisNode(redis, Options.Create(new ChorusServerOptions { NodeId = nodeId }),
            Options.Create(new ClusterOptions { NodeLivenessTimeout = livenessTimeout ?? TimeSpan.FromSeconds(10) }),
            new RedisBusInfo(configuration), NullLogger<RedisNode>.Instance);
        _ = node.Identity;
        return new TestRedisNode(redis, node, new RedisRoomLifetimeManager(redis, node, new RoomRegistry(), NullLogger<RedisRoomLifetimeManager>.Instance));
    }

    public async ValueTask DisposeAsync()
    {
        await Rooms.DisposeAsync();
        await Redis.CloseAsync();
        Redis.Dispose();
    }
}

/// <summary>
/// The conformance suite against the Redis manager: two nodes (two connections, two node ids) on one real redis-server,
/// members on both. Plus what only a cluster has: dead nodes swept once, node ids claimed.
/// </summary>
public sealed class RedisRoomLifetimeManagerTests : RoomLifetimeManagerConformanceTests
{
    private RedisServer? _server;
    private TestRedisNode? _a, _b;

    /// <inheritdoc />
    protected override async ValueTask<(IRoomLifetimeManager A, IRoomLifetimeManager B)> CreateNodesAsync()
    {
        _server = await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        _a = await TestRedisNode.StartAsync(_server.Configuration);
        _b = await TestRedisNode.StartAsync(_server.Configuration);
        return (_a.Rooms, _b.Rooms);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Fact]
    public async Task Two_nodes_hold_two_node_ids_and_a_configured_id_held_by_a_live_node_refuses_the_start()
    {
        Assert.NotEqual(_a!.Node.Identity.Id, _b!.Node.Identity.Id);
        Assert.True(await _a.Node.IsAliveAsync(_b.Node.Identity.Id));
        var refused = await Assert.ThrowsAsync<ChorusStartupException>(() => TestRedisNode.StartAsync(_server!.Configuration, nodeId: _a.Node.Identity.Id));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("Chorus:NodeId " + _a.Node.Identity.Id, refused.Message);
    }

    [Fact]
    public async Task Redis_out_of_reach_at_start_is_one_clear_line()
    {
        int port = _server!.Port;
        await _server.DisposeAsync();
        _server = null;
        var refused = await Assert.ThrowsAsync<ChorusStartupException>(() => TestRedisNode.StartAsync($"127.0.0.1:{port},connectTimeout=1000"));
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"cannot reach Redis at 127.0.0.1:{port}", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public async Task A_dead_node_s_members_are_swept_once_with_leave_events_and_NodeDied()
    {
        var hostC = new RecordingHost();
        await using var c = await TestRedisNode.StartAsync(_server!.Configuration, livenessTimeout: TimeSpan.FromSeconds(1));
        hostC.Manager = c.Rooms;
        c.Rooms.Attach(hostC);
        await JoinNew(A, "r1", "alice");
        await JoinNew(c.Rooms, "r1", "carol");
        await JoinNew(c.Rooms, "r1", "dave");
        await JoinNew(c.Rooms, "r2", "erin"); // alone: the room closes
        Assert.Equal(3, await A.CountAsync(1, "r1"));
        int died = -1, diedCount = 0;
        _a!.Node.NodeDied += id => { died = id; Interlocked.Increment(ref diedCount); return Task.CompletedTask; };
        _b!.Node.NodeDied += id => { died = id; Interlocked.Increment(ref diedCount); return Task.CompletedTask; };

        // Node C stops refreshing its liveness key (it never started its loop): after 1 s it is dead.
        await Eventually(() =>
        {
            Task.WhenAll(_a.Node.SweepDeadAsync(), _b.Node.SweepDeadAsync()).GetAwaiter().GetResult();
            return died >= 0;
        }, "node C swept");
        Assert.Equal(c.Node.Identity.Id, died);
        Assert.Equal(1, diedCount); // one node swept it
        Assert.Equal(1, await A.CountAsync(1, "r1"));
        Assert.Equal(0, await B.CountAsync(1, "r2"));
        var swept = HostA.Events.Concat(HostB.Events).Where(e => e.StartsWith("swept:", StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(["swept:r1:carol,dave:False", "swept:r2:erin:True"], swept);
        await _a.Node.SweepDeadAsync(); // again: nothing more
        Assert.Equal(2, HostA.Events.Concat(HostB.Events).Count(e => e.StartsWith("swept:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_leave_Redis_did_not_answer_is_told_to_the_room_once_when_it_answers_again()
    {
        var hostC = new RecordingHost();
        await using var c = await TestRedisNode.StartAsync(_server!.Configuration + ",asyncTimeout=300");
        hostC.Manager = c.Rooms;
        c.Rooms.Attach(hostC);
        var (alice, _) = await JoinNew(c.Rooms, "r1", "alice");
        await JoinNew(A, "r1", "bob");
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_server.Configuration + ",allowAdmin=true");
        await admin.GetServers()[0].ExecuteAsync("CLIENT", "PAUSE", "1500", "ALL"); // Redis answers nobody for 1.5 s

        await Assert.ThrowsAsync<RoomBusException>(() => c.Rooms.LeaveAsync(alice.Member!).AsTask());
        Assert.Null(c.Rooms.FindLocal(1, "r1")); // gone from its node at once
        await Eventually(() =>
        {
            c.Rooms.RetryLeavesAsync().GetAwaiter().GetResult();
            return hostC.Events.Contains("swept:r1:alice:False");
        }, "the leave told once Redis answers");
        Assert.Equal(1, await A.CountAsync(1, "r1"));
        await c.Rooms.RetryLeavesAsync();
        Assert.Single(hostC.Events, e => e.StartsWith("swept:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_room_wide_message_is_one_publish_and_only_nodes_with_members_subscribe_its_room()
    {
        var (_, alice) = await JoinNew(A, "r1", "alice");
        var (_, bob) = await JoinNew(A, "r1", "bob");
        await JoinNew(B, "r2", "carol"); // node B has no member of r1
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_server!.Configuration + ",allowAdmin=true");
        var server = admin.GetServers()[0];
        Assert.Equal(1, await NumSub(server, "chorus:room:1:r1:ch")); // node A only
        long before = await PublishCount(server);
        B.SendToRoom(1, "r1", EncodedFrame.From(new Chorus.Protocol.BroadcastEvent { RoomId = "r1", Content = "x" }), Delivery.Reliable);
        await Received(1, alice, bob);
        Assert.Equal(1, await PublishCount(server) - before);
        Assert.Same(alice.Sent[0].Bytes.Bytes, bob.Sent[0].Bytes.Bytes); // one copy on the node for its recipients

        // A custom command to listed users: one publish per other node that has some of them, none for this node's.
        var (_, dave) = await JoinNew(B, "r1", "dave");
        var (_, erin) = await JoinNew(B, "r1", "erin");
        before = await PublishCount(server);
        Assert.Empty(await A.SendToUsersAsync(1, "r1", ["bob", "dave", "erin"], EncodedFrame.From(new Chorus.Protocol.CustomCommandEvent { RoomId = "r1", Content = "y" }), Delivery.Unreliable));
        await Received(1, dave, erin);
        await Received(2, bob);
        Assert.Equal(1, await PublishCount(server) - before);
        Assert.Equal(0, await NumSub(server, "chorus:room:1:r3:ch"));
    }

    private static async Task<long> NumSub(IServer server, string channel)
    {
        var r = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
        return (long)r[1];
    }

    /// <summary>PUBLISH calls so far (INFO commandstats).</summary>
    private static async Task<long> PublishCount(IServer server)
    {
        string info = (string)(await server.ExecuteAsync("INFO", "commandstats"))!;
        foreach (var line in info.Split('\n'))
        {
            if (!line.StartsWith("cmdstat_publish:calls=", StringComparison.Ordinal)) continue;
            string calls = line["cmdstat_publish:calls=".Length..];
            return long.Parse(calls[..calls.IndexOf(',')], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
