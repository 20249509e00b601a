using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Core;
using Chorus.Server.Rooms;

namespace Chorus.Server.Tests;

/// <summary>
/// What the room core does when a lifetime manager calls it back, recorded: a kick removes the member through the manager
/// (as <see cref="RoomSignaling"/> does), a replaced login and swept members are noted.
/// </summary>
public sealed class RecordingHost : IRoomLifetimeHost
{
    private readonly List<string> _events = [];

    /// <summary>The manager this host belongs to.</summary>
    public IRoomLifetimeManager Manager { get; set; } = null!;

    /// <summary>What happened so far: "replaced:room:user", "kicked:room:user:code", "swept:room:user,user:closed".</summary>
    public IReadOnlyList<string> Events
    {
        get { lock (_events) return [.. _events]; }
    }

    private void Add(string e)
    {
        lock (_events) _events.Add(e);
    }

    /// <inheritdoc />
    public void OnReplacedElsewhere(RoomMember member) => Add($"replaced:{member.Room.RoomId}:{member.UserId}");

    /// <inheritdoc />
    public async ValueTask KickLocalAsync(RoomMember member, int errorCode, string reason)
    {
        await Manager.LeaveAsync(member);
        Add($"kicked:{member.Room.RoomId}:{member.UserId}:{errorCode}");
    }

    /// <inheritdoc />
    public void OnMembersSwept(RoomInfo room, IReadOnlyList<RoomMemberInfo> removed, bool roomClosed, int count) =>
        Add($"swept:{room.RoomId}:{string.Join(",", removed.Select(m => m.UserId).Order())}:{roomClosed}");
}

/// <summary>
/// What every <see cref="IRoomLifetimeManager"/> must do (the in-process one, and the Redis one with members on two
/// nodes): presence (join, replace, capacity, leave, count, list, find) and delivery (room, room except one user, status
/// subscribers, listed users, one connection, one order per room), kicks wherever the member is, apps kept apart.
/// Tests place members on node A and node B; for the in-process manager both are the same manager. Deliveries of a
/// cross-node manager are asynchronous: every wait for one has a deadline, and "got nothing" is checked after a later
/// message to the same recipients has arrived.
/// </summary>
public abstract class RoomLifetimeManagerConformanceTests : IAsyncLifetime
{
    /// <summary>Two fresh, empty managers sharing presence (two nodes), or the same one twice.</summary>
    protected abstract ValueTask<(IRoomLifetimeManager A, IRoomLifetimeManager B)> CreateNodesAsync();

    /// <summary>Node A's manager.</summary>
    protected IRoomLifetimeManager A { get; private set; } = null!;
    /// <summary>Node B's manager.</summary>
    protected IRoomLifetimeManager B { get; private set; } = null!;
    /// <summary>Node A's host (what A called back).</summary>
    protected RecordingHost HostA { get; } = new();
    /// <summary>Node B's host.</summary>
    protected RecordingHost HostB { get; } = new();

    /// <summary>True when A and B are distinct nodes.</summary>
    protected bool TwoNodes => !ReferenceEquals(A, B);

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        (A, B) = await CreateNodesAsync();
        HostA.Manager = A;
        HostB.Manager = B;
        A.Attach(HostA);
        if (TwoNodes) B.Attach(HostB);
        else HostB.Manager = A;
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>How long a delivery may take to arrive.</summary>
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static readonly EncodedFrame Hello = EncodedFrame.From(new BroadcastEvent { RoomId = "r1", Content = "hello" });

    private static EncodedFrame Numbered(int n) => EncodedFrame.From(new BroadcastEvent { RoomId = "r1", Content = "m" + n });

    private static Room NewRoom(uint appId, string roomId, int maxMembers = 0) =>
        new(appId, roomId, maxMembers, new SlidingWindowLimiter(100, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(100, TimeSpan.FromSeconds(1)));

    private static RoomMember NewMember(Room room, IClientConnection connection, string userId, bool userStatusNotify = true) =>
        new(room, connection, userId, userId, 1000, userStatusNotify, long.MaxValue,
            new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)));

    /// <summary>Joins <paramref name="userId"/> over a new fake connection of the given node.</summary>
    protected static async Task<(RoomJoinResult Join, FakeConnection Connection)> JoinNew(IRoomLifetimeManager rooms, string roomId, string userId, uint appId = 1, int maxMembers = 0, bool userStatusNotify = true)
    {
        var connection = new FakeConnection(appId);
        var join = await rooms.JoinAsync(new RoomJoinRequest(connection, roomId, userId, userId, 1000, maxMembers),
            () => NewRoom(appId, roomId, maxMembers), r => NewMember(r, connection, userId, userStatusNotify));
        return (join, connection);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <see cref="Deadline"/>.</summary>
    protected static async Task Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"not within {Deadline.TotalSeconds} s: {what}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until each connection got <paramref name="count"/> frames.</summary>
    protected static Task Received(int count, params FakeConnection[] connections) =>
        Eventually(() => connections.All(c => c.Sent.Count >= count), $"{count} frame(s) at each of {connections.Length} connection(s)");

    /// <summary>
    /// Sends a marker to the listed users the way a listed-users delivery travels and waits for it: what was delivered to
    /// them before has arrived by then.
    /// </summary>
    private async Task SettleUsers(string roomId, params (string UserId, FakeConnection Connection)[] users)
    {
        var before = users.Select(u => u.Connection.Sent.Count).ToArray();
        await A.SendToUsersAsync(1, roomId, [.. users.Select(u => u.UserId)], Hello, Delivery.Reliable);
        await Eventually(() => users.Select((u, i) => u.Connection.Sent.Count > before[i]).All(x => x), "the marker");
        foreach (var (_, c) in users) c.Clear();
    }

    [Fact]
    public async Task Join_creates_the_room_and_the_first_join_is_told_so()
    {
        var (first, _) = await JoinNew(A, "r1", "alice");
        var (second, _) = await JoinNew(B, "r1", "bob");
        Assert.Equal((RoomJoinStatus.Joined, true), (first.Status, first.IsNewRoom));
        Assert.Equal((RoomJoinStatus.Joined, false), (second.Status, second.IsNewRoom));
        Assert.Equal(first.Room.Seq, second.Room.Seq); // one life of one room, whichever node looks
        Assert.Equal((1, 2), (first.Count, second.Count));
        Assert.Empty(first.Others);
        Assert.Equal("alice", Assert.Single(second.Others).UserId);
        foreach (var node in new[] { A, B })
        {
            Assert.Equal(2, await node.CountAsync(1, "r1"));
            Assert.Equal(["alice", "bob"], (await node.ListAsync(1, "r1")).Select(m => m.UserId).Order());
            Assert.Equal(1000, (await node.FindAsync(1, "r1", "bob"))?.LoginTimeMs);
            Assert.Null(await node.FindAsync(1, "r1", "carol"));
            Assert.Equal(0, await node.CountAsync(1, "r2"));
            Assert.Empty(await node.ListAsync(1, "r2"));
        }
        Assert.NotNull(A.FindLocal(1, "r1")?.Find("alice"));
        Assert.Equal(TwoNodes ? null : "bob", A.FindLocal(1, "r1")?.Find("bob")?.UserId); // a node's view holds its own members
    }

    [Fact]
    public async Task Join_of_a_user_already_in_the_room_on_the_same_node_replaces_the_old_login()
    {
        var (old, _) = await JoinNew(A, "r1", "alice");
        var (again, connection) = await JoinNew(A, "r1", "alice");
        Assert.Same(old.Member, again.Replaced);
        Assert.True(again.WasInRoom);
        Assert.Equal(1, again.Count);
        Assert.Equal(1, await A.CountAsync(1, "r1"));
        Assert.Same(connection, A.FindLocal(1, "r1")!.Find("alice")!.Connection);
        // The replaced login's leave changes nothing: it is no longer the user's login.
        var left = await A.LeaveAsync(old.Member!);
        Assert.False(left.Left);
        Assert.False(left.RoomClosed);
        Assert.NotNull(await A.FindAsync(1, "r1", "alice"));
    }

    [Fact]
    public async Task Join_of_a_user_already_in_the_room_on_another_node_replaces_the_old_login_and_its_node_is_told()
    {
        var (old, _) = await JoinNew(A, "r1", "alice");
        var (again, _) = await JoinNew(B, "r1", "alice");
        Assert.True(again.WasInRoom);
        Assert.Equal(1, again.Count);
        if (TwoNodes)
        {
            Assert.Null(again.Replaced); // not a member of B: A tells it
            await Eventually(() => HostA.Events.Contains("replaced:r1:alice"), "node A told its login was replaced");
            Assert.Null(A.FindLocal(1, "r1"));
        }
        else Assert.Same(old.Member, again.Replaced);
        Assert.False((await A.LeaveAsync(old.Member!)).Left);
        Assert.Equal(1, await B.CountAsync(1, "r1"));
    }

    [Fact]
    public async Task A_full_room_refuses_a_new_user_but_not_a_user_already_in_it()
    {
        await JoinNew(A, "r1", "alice", maxMembers: 2);
        await JoinNew(B, "r1", "bob", maxMembers: 5); // the first user's capacity holds
        var (full, _) = await JoinNew(B, "r1", "carol");
        Assert.Equal(RoomJoinStatus.RoomFull, full.Status);
        Assert.Equal(2, full.MaxMemberCount);
        Assert.Null(full.Member);
        Assert.Null(await A.FindAsync(1, "r1", "carol"));
        var (again, _) = await JoinNew(A, "r1", "bob");
        Assert.Equal(RoomJoinStatus.Joined, again.Status);
        Assert.Equal(2, await B.CountAsync(1, "r1"));
    }

    [Fact]
    public async Task The_last_leave_closes_the_room_and_a_later_join_opens_a_new_one()
    {
        var (a, _) = await JoinNew(A, "r1", "alice");
        var (b, _) = await JoinNew(B, "r1", "bob");
        var left = await A.LeaveAsync(a.Member!);
        Assert.Equal((true, false, 1), (left.Left, left.RoomClosed, left.Count));
        Assert.False((await A.LeaveAsync(a.Member!)).Left); // twice: nothing
        left = await B.LeaveAsync(b.Member!);
        Assert.Equal((true, true, 0), (left.Left, left.RoomClosed, left.Count));
        Assert.Null(A.FindLocal(1, "r1"));
        Assert.Null(B.FindLocal(1, "r1"));
        Assert.DoesNotContain(A.LocalRooms, r => r.RoomId == "r1");
        Assert.Equal(0, await A.CountAsync(1, "r1"));
        var (c, _) = await JoinNew(B, "r1", "carol");
        Assert.True(c.IsNewRoom);
        Assert.NotEqual(a.Room.Seq, c.Room.Seq);
    }

    [Fact]
    public async Task SendToRoom_reaches_every_member_on_every_node_but_the_excepted_user()
    {
        var (_, alice) = await JoinNew(A, "r1", "alice");
        var (_, bob) = await JoinNew(B, "r1", "bob");
        var (_, carol) = await JoinNew(B, "r1", "carol");
        var (_, elsewhere) = await JoinNew(A, "r2", "dave");
        A.SendToRoom(1, "r1", Hello, Delivery.Reliable, exceptUserId: "alice");
        await Received(1, bob, carol);
        // The same encoded bytes for every recipient of a node: encoded once.
        Assert.Same(bob.Sent[0].Bytes.Bytes, carol.Sent[0].Bytes.Bytes);
        Assert.Equal(Delivery.Reliable, bob.Sent[0].Delivery);
        Assert.Equal("hello", bob.Sent[0].Frame.Content);

        B.SendToRoom(1, "r1", Hello, Delivery.Unreliable);
        await Received(2, bob, carol);
        await Received(1, alice); // the marker: the first message, sent before on the same room, would be here by now
        Assert.Single(alice.Sent);
        Assert.Equal(Delivery.Unreliable, alice.Sent[0].Delivery);
        Assert.Empty(elsewhere.Sent);
        A.SendToRoom(1, "nobody-here", Hello, Delivery.Reliable); // no room: nothing, no error
    }

    [Fact]
    public async Task SendToRoom_for_status_subscribers_skips_members_that_did_not_ask_for_user_updates()
    {
        var (_, listening) = await JoinNew(A, "r1", "alice", userStatusNotify: true);
        var (_, quiet) = await JoinNew(B, "r1", "bob", userStatusNotify: false);
        var (_, listeningB) = await JoinNew(B, "r1", "carol", userStatusNotify: true);
        A.SendToRoom(1, "r1", Hello, Delivery.Reliable, audience: RoomAudience.StatusSubscribers);
        B.SendToRoom(1, "r1", Numbered(2), Delivery.Reliable);
        await Received(2, listening, listeningB);
        await Received(1, quiet);
        Assert.Equal("m2", Assert.Single(quiet.Sent).Frame.Content);
    }

    [Fact]
    public async Task Room_wide_messages_from_two_nodes_reach_every_member_in_one_order()
    {
        var (_, alice) = await JoinNew(A, "r1", "alice");
        var (_, bob) = await JoinNew(B, "r1", "bob");
        var (_, carol) = await JoinNew(A, "r1", "carol");
        const int Each = 30;
        await Task.WhenAll(
            Task.Run(() => { for (int i = 0; i < Each; i++) A.SendToRoom(1, "r1", Numbered(i), Delivery.Reliable); }, TestContext.Current.CancellationToken),
            Task.Run(() => { for (int i = 0; i < Each; i++) B.SendToRoom(1, "r1", Numbered(100 + i), Delivery.Reliable); }, TestContext.Current.CancellationToken));
        await Received(2 * Each, alice, bob, carol);
        var order = alice.Sent.Select(s => s.Frame.Content).ToArray();
        Assert.Equal(order, bob.Sent.Select(s => s.Frame.Content));
        Assert.Equal(order, carol.Sent.Select(s => s.Frame.Content));
        // Each node's own messages keep the order it sent them in.
        Assert.Equal(Enumerable.Range(0, Each).Select(i => "m" + i), order.Where(c => c!.Length < 4));
    }

    [Fact]
    public async Task SendToUsers_reaches_only_the_listed_users_in_the_room_on_any_node_and_never_the_excepted_one()
    {
        var (_, alice) = await JoinNew(A, "r1", "alice");
        var (_, bob) = await JoinNew(B, "r1", "bob");
        var (_, erin) = await JoinNew(A, "r1", "erin");
        var (_, carol) = await JoinNew(B, "r1", "carol");
        var (_, otherRoom) = await JoinNew(B, "r2", "dave");
        var missing = await A.SendToUsersAsync(1, "r1", ["alice", "bob", "erin", "dave", "nobody"], Hello, Delivery.Unreliable, exceptUserId: "alice");
        Assert.Equal(["dave", "nobody"], missing.Order());
        await Received(1, bob, erin);
        Assert.Equal(Delivery.Unreliable, bob.Sent[0].Delivery);
        await SettleUsers("r1", ("alice", alice), ("carol", carol));
        Assert.Empty(alice.Sent);
        Assert.Empty(carol.Sent);
        Assert.Empty(otherRoom.Sent);
        Assert.Empty(await B.SendToUsersAsync(1, "r1", ["alice", "carol"], Hello, Delivery.Reliable));
        Assert.Equal(["x"], await B.SendToUsersAsync(1, "nobody-here", ["x"], Hello, Delivery.Reliable));
    }

    [Fact]
    public async Task SendToConnection_reaches_that_connection_only()
    {
        var (_, alice) = await JoinNew(A, "r1", "alice");
        var (_, bob) = await JoinNew(A, "r1", "bob");
        A.SendToConnection(bob, Hello, Delivery.Reliable);
        Assert.Empty(alice.Sent);
        Assert.Single(bob.Sent);
    }

    [Fact]
    public async Task A_kick_reaches_the_member_wherever_it_is_and_a_close_reaches_every_member()
    {
        await JoinNew(A, "r1", "alice");
        await JoinNew(B, "r1", "bob");
        await JoinNew(B, "r1", "carol");
        await JoinNew(A, "r1", "erin");
        Assert.Equal(2, await A.KickAsync(1, "r1", ["bob", "erin", "nobody"], RoomErrorCodes.KickedByServer, "bye"));
        var kickedOnB = TwoNodes ? HostB : HostA;
        await Eventually(() => kickedOnB.Events.Contains("kicked:r1:bob:1002055") && HostA.Events.Contains("kicked:r1:erin:1002055"), "both kicks done");
        await Eventually(() => A.CountAsync(1, "r1").AsTask().Result == 2, "two members left");

        Assert.Equal(2, await B.KickAsync(1, "r1", null, RoomErrorCodes.KickedByServer, "closed"));
        await Eventually(() => HostA.Events.Contains("kicked:r1:alice:1002055") && kickedOnB.Events.Contains("kicked:r1:carol:1002055"), "everyone kicked");
        await Eventually(() => B.CountAsync(1, "r1").AsTask().Result == 0, "the room empty");
        Assert.Equal(0, await A.KickAsync(1, "r1", null, RoomErrorCodes.KickedByServer, "closed")); // no room: nobody
    }

    [Fact]
    public async Task Rooms_of_the_same_id_in_two_apps_are_two_rooms()
    {
        var (_, inA) = await JoinNew(A, "r1", "alice", appId: 1);
        var (b, inB) = await JoinNew(B, "r1", "alice", appId: 2);
        Assert.Null(b.Replaced);
        Assert.False(b.WasInRoom);
        Assert.True(b.IsNewRoom);
        Assert.Equal((1, 1), (await A.CountAsync(1, "r1"), await B.CountAsync(2, "r1")));
        B.SendToRoom(2, "r1", Hello, Delivery.Reliable);
        A.SendToRoom(1, "r1", Numbered(2), Delivery.Reliable);
        await Received(1, inA, inB);
        Assert.Equal("m2", Assert.Single(inA.Sent).Frame.Content);
        Assert.Null(await A.FindAsync(3, "r1", "alice"));
    }

    [Fact]
    public async Task Concurrent_joins_and_leaves_on_both_nodes_leave_an_exact_count()
    {
        var joined = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var node = i % 2 == 0 ? A : B;
            return (Node: node, Member: (await JoinNew(node, "r1", $"u{i}")).Join.Member!);
        }, TestContext.Current.CancellationToken)));
        Assert.Equal(200, await A.CountAsync(1, "r1"));
        await Task.WhenAll(joined.Take(150).Select(j => Task.Run(async () => await j.Node.LeaveAsync(j.Member), TestContext.Current.CancellationToken)));
        Assert.Equal(50, await B.CountAsync(1, "r1"));
        Assert.Equal(50, (await A.ListAsync(1, "r1")).Select(m => m.UserId).Distinct().Count());
        Assert.Equal(50, A.FindLocal(1, "r1")!.Count + (TwoNodes ? B.FindLocal(1, "r1")!.Count : 0));
    }
}

/// <summary>The conformance suite against the default, in-process manager.</summary>
public sealed class InProcessRoomLifetimeManagerTests : RoomLifetimeManagerConformanceTests
{
    /// <inheritdoc />
    protected override ValueTask<(IRoomLifetimeManager A, IRoomLifetimeManager B)> CreateNodesAsync()
    {
        var manager = new InProcessRoomLifetimeManager(new RoomRegistry());
        return ValueTask.FromResult<(IRoomLifetimeManager, IRoomLifetimeManager)>((manager, manager));
    }
}
