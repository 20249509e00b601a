using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Core;
using Chorus.Server.Rooms;

namespace Chorus.Server.Tests;

/// <summary>
/// What every <see cref="IRoomLifetimeManager"/> must do (the in-process one now, a cross-node one later): presence
/// (join, replace, capacity, leave, count, list, is-online) and delivery (room, room except one user, status
/// subscribers, listed users, one connection), with apps kept apart.
/// </summary>
public abstract class RoomLifetimeManagerConformanceTests
{
    /// <summary>A fresh, empty manager.</summary>
    protected abstract IRoomLifetimeManager CreateManager();

    private static readonly EncodedFrame Hello = EncodedFrame.From(new Frame { Op = Ops.Broadcast, RoomId = "r1", Content = "hello" });

    private static Room NewRoom(uint appId, string roomId, int maxMembers = 0) =>
        new(appId, roomId, maxMembers, new SlidingWindowLimiter(100, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(100, TimeSpan.FromSeconds(1)));

    private static RoomMember NewMember(Room room, IClientConnection connection, string userId, bool userStatusNotify = true) =>
        new(room, connection, userId, userId, 0, userStatusNotify, long.MaxValue,
            new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)));

    /// <summary>Joins <paramref name="userId"/> over a new fake connection.</summary>
    protected static (RoomJoinResult Join, FakeConnection Connection) JoinNew(IRoomLifetimeManager rooms, string roomId, string userId, uint appId = 1, int maxMembers = 0, bool userStatusNotify = true)
    {
        var connection = new FakeConnection(appId);
        var join = rooms.Join(appId, roomId, userId, () => NewRoom(appId, roomId, maxMembers), r => NewMember(r, connection, userId, userStatusNotify));
        return (join, connection);
    }

    [Fact]
    public void Join_creates_the_room_and_the_first_join_is_told_so()
    {
        var rooms = CreateManager();
        var (first, _) = JoinNew(rooms, "r1", "alice");
        var (second, _) = JoinNew(rooms, "r1", "bob");
        Assert.Equal((RoomJoinStatus.Joined, true), (first.Status, first.IsNewRoom));
        Assert.Equal((RoomJoinStatus.Joined, false), (second.Status, second.IsNewRoom));
        Assert.Same(first.Room, second.Room);
        Assert.Equal(2, rooms.Count(1, "r1"));
        Assert.Equal(["alice", "bob"], rooms.List(1, "r1").Select(m => m.UserId).Order());
        Assert.True(rooms.IsOnline(1, "r1", "bob"));
        Assert.False(rooms.IsOnline(1, "r1", "carol"));
        Assert.Equal(0, rooms.Count(1, "r2"));
        Assert.Empty(rooms.List(1, "r2"));
    }

    [Fact]
    public void Join_of_a_user_already_in_the_room_replaces_the_old_login()
    {
        var rooms = CreateManager();
        var (old, _) = JoinNew(rooms, "r1", "alice");
        var (again, connection) = JoinNew(rooms, "r1", "alice");
        Assert.Same(old.Member, again.Replaced);
        Assert.Equal(1, rooms.Count(1, "r1"));
        Assert.Same(connection, rooms.Find(1, "r1", "alice")!.Connection);
        // The replaced login's leave changes nothing: it is no longer the user's login.
        Assert.False(rooms.Leave(old.Member!, out bool closed));
        Assert.False(closed);
        Assert.True(rooms.IsOnline(1, "r1", "alice"));
    }

    [Fact]
    public void A_full_room_refuses_a_new_user_but_not_a_user_already_in_it()
    {
        var rooms = CreateManager();
        JoinNew(rooms, "r1", "alice", maxMembers: 2);
        JoinNew(rooms, "r1", "bob");
        var (full, _) = JoinNew(rooms, "r1", "carol");
        Assert.Equal(RoomJoinStatus.RoomFull, full.Status);
        Assert.Null(full.Member);
        Assert.False(rooms.IsOnline(1, "r1", "carol"));
        var (again, _) = JoinNew(rooms, "r1", "bob");
        Assert.Equal(RoomJoinStatus.Joined, again.Status);
        Assert.Equal(2, rooms.Count(1, "r1"));
    }

    [Fact]
    public void The_last_leave_closes_the_room_and_a_later_join_opens_a_new_one()
    {
        var rooms = CreateManager();
        var (a, _) = JoinNew(rooms, "r1", "alice");
        var (b, _) = JoinNew(rooms, "r1", "bob");
        Assert.True(rooms.Leave(a.Member!, out bool closed));
        Assert.False(closed);
        Assert.False(rooms.Leave(a.Member!, out _)); // twice: nothing
        Assert.True(rooms.Leave(b.Member!, out closed));
        Assert.True(closed);
        Assert.Null(rooms.FindRoom(1, "r1"));
        Assert.DoesNotContain(rooms.Rooms, r => r.RoomId == "r1");
        var (c, _) = JoinNew(rooms, "r1", "carol");
        Assert.True(c.IsNewRoom);
        Assert.NotSame(a.Room, c.Room);
    }

    [Fact]
    public void SendToRoom_reaches_every_member_but_the_excepted_user()
    {
        var rooms = CreateManager();
        var (_, alice) = JoinNew(rooms, "r1", "alice");
        var (_, bob) = JoinNew(rooms, "r1", "bob");
        var (_, carol) = JoinNew(rooms, "r1", "carol");
        var (_, elsewhere) = JoinNew(rooms, "r2", "dave");
        rooms.SendToRoom(1, "r1", Hello, Delivery.Reliable, exceptUserId: "alice");
        Assert.Empty(alice.Sent);
        Assert.Single(bob.Sent);
        Assert.Single(carol.Sent);
        Assert.Empty(elsewhere.Sent);
        // The same encoded bytes for every recipient: encoded once.
        Assert.Same(bob.Sent[0].Bytes.Bytes, carol.Sent[0].Bytes.Bytes);
        Assert.Equal(Delivery.Reliable, bob.Sent[0].Delivery);

        rooms.SendToRoom(1, "r1", Hello, Delivery.Unreliable);
        Assert.Single(alice.Sent);
        Assert.Equal(Delivery.Unreliable, alice.Sent[0].Delivery);
        rooms.SendToRoom(1, "nobody-here", Hello, Delivery.Reliable); // no room: nothing, no error
    }

    [Fact]
    public void SendToRoom_for_status_subscribers_skips_members_that_did_not_ask_for_user_updates()
    {
        var rooms = CreateManager();
        var (_, listening) = JoinNew(rooms, "r1", "alice", userStatusNotify: true);
        var (_, quiet) = JoinNew(rooms, "r1", "bob", userStatusNotify: false);
        rooms.SendToRoom(1, "r1", Hello, Delivery.Reliable, audience: RoomAudience.StatusSubscribers);
        Assert.Single(listening.Sent);
        Assert.Empty(quiet.Sent);
    }

    [Fact]
    public void SendToUsers_reaches_only_the_listed_users_in_the_room_and_never_the_sender()
    {
        var rooms = CreateManager();
        var (_, alice) = JoinNew(rooms, "r1", "alice");
        var (_, bob) = JoinNew(rooms, "r1", "bob");
        var (_, carol) = JoinNew(rooms, "r1", "carol");
        var (_, otherRoom) = JoinNew(rooms, "r2", "dave");
        rooms.SendToUsers(1, "r1", ["alice", "bob", "dave", "nobody"], Hello, Delivery.Unreliable, exceptUserId: "alice");
        Assert.Empty(alice.Sent);
        Assert.Single(bob.Sent);
        Assert.Empty(carol.Sent);
        Assert.Empty(otherRoom.Sent);
    }

    [Fact]
    public void SendToConnection_reaches_that_connection_only()
    {
        var rooms = CreateManager();
        var (_, alice) = JoinNew(rooms, "r1", "alice");
        var (_, bob) = JoinNew(rooms, "r1", "bob");
        rooms.SendToConnection(bob, Hello, Delivery.Reliable);
        Assert.Empty(alice.Sent);
        Assert.Single(bob.Sent);
    }

    [Fact]
    public void Rooms_of_the_same_id_in_two_apps_are_two_rooms()
    {
        var rooms = CreateManager();
        var (_, inA) = JoinNew(rooms, "r1", "alice", appId: 1);
        var (b, inB) = JoinNew(rooms, "r1", "alice", appId: 2);
        Assert.Null(b.Replaced);
        Assert.True(b.IsNewRoom);
        Assert.Equal((1, 1), (rooms.Count(1, "r1"), rooms.Count(2, "r1")));
        rooms.SendToRoom(2, "r1", Hello, Delivery.Reliable);
        Assert.Empty(inA.Sent);
        Assert.Single(inB.Sent);
        Assert.False(rooms.IsOnline(3, "r1", "alice"));
    }

    [Fact]
    public async Task Concurrent_joins_and_leaves_leave_an_exact_count()
    {
        var rooms = CreateManager();
        var joined = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => JoinNew(rooms, "r1", $"u{i}").Join.Member!, TestContext.Current.CancellationToken)));
        Assert.Equal(200, rooms.Count(1, "r1"));
        await Task.WhenAll(joined.Take(150).Select(m => Task.Run(() => rooms.Leave(m, out _), TestContext.Current.CancellationToken)));
        Assert.Equal(50, rooms.Count(1, "r1"));
        Assert.Equal(50, rooms.List(1, "r1").Select(m => m.UserId).Distinct().Count());
    }
}

/// <summary>The conformance suite against the default, in-process manager.</summary>
public sealed class InProcessRoomLifetimeManagerTests : RoomLifetimeManagerConformanceTests
{
    /// <inheritdoc />
    protected override IRoomLifetimeManager CreateManager() => new InProcessRoomLifetimeManager(new RoomRegistry());
}
