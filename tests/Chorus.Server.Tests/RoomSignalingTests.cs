using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Core;
using Chorus.Server.Hosting;
using Chorus.Server.Rooms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Chorus.Server.Tests;

/// <summary>Records the room events the core reports, in order.</summary>
public sealed class RecordingObserver : IRoomEventsObserver
{
    /// <summary>The events so far, as "kind:room:user:reason".</summary>
    public List<string> Events { get; } = [];

    /// <inheritdoc />
    public void OnRoomCreated(RoomInfo room, RoomMemberInfo creator) => Events.Add($"create:{room.RoomId}:{creator.UserId}");
    /// <inheritdoc />
    public void OnLogin(RoomInfo room, RoomMemberInfo member) => Events.Add($"login:{room.RoomId}:{member.UserId}");
    /// <inheritdoc />
    public void OnLogout(RoomInfo room, RoomMemberInfo member, RoomLeaveReason reason, long logoutTimeMs) => Events.Add($"logout:{room.RoomId}:{member.UserId}:{reason}");
    /// <inheritdoc />
    public void OnRoomClosed(RoomInfo room, RoomLeaveReason reason, long closeTimeMs) => Events.Add($"close:{room.RoomId}:{reason}");
}

/// <summary>
/// The room core without sockets: fake connections, a fake clock. Token expiry and its notice, online counts on their
/// interval, presence events, fan-out rules and what a closed connection leaves behind.
/// </summary>
public sealed class RoomSignalingTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 6, 0, 0, TimeSpan.Zero));
    private readonly RoomOptions _options = new();
    private readonly RecordingObserver _observer = new();
    private readonly RoomSignaling _rooms;

    private const int Node = 517;

    public RoomSignalingTests()
    {
        var auth = Options.Create(new AuthOptions());
        var tokens = new TokenValidator(new AppRegistry(Options.Create(new ChorusServerOptions())), auth, _time, NullLogger<TokenValidator>.Instance);
        _rooms = new RoomSignaling(new InProcessRoomLifetimeManager(new RoomRegistry()), Options.Create(_options), auth, _time, [_observer], tokens, new NodeIdentity(Node), NullLogger<RoomSignaling>.Instance);
    }

    private string TokenFor(string userId, long lifetimeSeconds = 3600) =>
        Token04.Generate(ChorusServerOptions.DevApp.AppId, userId, ChorusServerOptions.DevApp.ServerSecret, lifetimeSeconds, null, _time.GetUtcNow());

    private async Task<(FakeConnection Connection, RoomReply Result)> LoginAsync(string roomId, string userId, bool userStatusNotify = true, long lifetimeSeconds = 3600, FakeConnection? connection = null)
    {
        connection ??= new FakeConnection();
        var result = await _rooms.LoginAsync(connection, new RoomLoginRequest(roomId, userId, userId.ToUpperInvariant(), TokenFor(userId, lifetimeSeconds), UserStatusNotify: userStatusNotify));
        Assert.Equal(0, result.Code);
        return (connection, result);
    }

    private static RoomMessageRequest Request(string roomId, string? content = "hi", string[]? to = null) => new(roomId, content, to);

    /// <summary>Moves the fake clock in maintenance ticks (500 ms, as the service does) and runs the room side of each.</summary>
    private void Tick(TimeSpan span)
    {
        for (var left = span; left > TimeSpan.Zero; left -= TimeSpan.FromMilliseconds(500))
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            Assert.True(_rooms.RunMaintenance(_time.GetUtcNow()).IsCompletedSuccessfully); // in process: done at once
        }
    }

    [Fact]
    public async Task A_token_about_to_expire_is_noticed_once_then_the_login_is_kicked_out_when_it_expires()
    {
        var (alice, _) = await LoginAsync("r1", "alice", lifetimeSeconds: 60);
        var (bob, _) = await LoginAsync("r1", "bob", lifetimeSeconds: 3600);
        alice.Clear();
        bob.Clear();

        Tick(TimeSpan.FromSeconds(29)); // 31 s left: the 30 s notice is not due
        Assert.Empty(alice.Of(Ops.TokenWillExpire));
        Tick(TimeSpan.FromSeconds(1));
        var notice = Assert.Single(alice.Of(Ops.TokenWillExpire));
        Assert.Equal(("r1", 30), (notice.RoomId, notice.SecondsLeft));
        Tick(TimeSpan.FromSeconds(10));
        Assert.Single(alice.Of(Ops.TokenWillExpire)); // once per token
        Assert.Empty(alice.Of(Ops.RoomState));

        Tick(TimeSpan.FromSeconds(20)); // expired
        var kicked = Assert.Single(alice.Of(Ops.RoomState));
        Assert.Equal(((int)RoomStateReason.KickOut, RoomErrorCodes.TokenExpired), (kicked.Reason, kicked.ErrorCode));
        Assert.Empty(_rooms.RoomsOf(alice));
        var left = Assert.Single(bob.Of(Ops.UserUpdate));
        Assert.Equal(("delete", "alice"), (left.UpdateType, left.Users!.Single().UserId));
        Assert.Contains("logout:r1:alice:Kicked", _observer.Events);
        Assert.Empty(bob.Of(Ops.TokenWillExpire)); // bob's token has an hour left
    }

    [Fact]
    public async Task A_renewed_token_is_noticed_again_only_when_the_new_one_nears_expiry()
    {
        var (alice, _) = await LoginAsync("r1", "alice", lifetimeSeconds: 60);
        Tick(TimeSpan.FromSeconds(31));
        Assert.Single(alice.Of(Ops.TokenWillExpire));
        var renewed = await _rooms.RenewTokenAsync(alice, new RoomRenewTokenRequest("r1", TokenFor("alice", 120)));
        Assert.Equal(0, renewed.Code);
        Tick(TimeSpan.FromSeconds(60)); // the old token would have expired; the new one has 60 s left
        Assert.Empty(alice.Of(Ops.RoomState));
        Assert.Single(alice.Of(Ops.TokenWillExpire));
        Tick(TimeSpan.FromSeconds(30));
        Assert.Equal(2, alice.Of(Ops.TokenWillExpire).Count);
    }

    [Fact]
    public async Task Online_counts_go_to_every_member_each_interval_as_unreliable_frames()
    {
        var (alice, _) = await LoginAsync("r1", "alice");
        var (bob, _) = await LoginAsync("r1", "bob", userStatusNotify: false);
        var (carol, _) = await LoginAsync("r2", "carol");

        Tick(_options.OnlineCountInterval - TimeSpan.FromMilliseconds(500));
        Assert.Empty(alice.Of(Ops.OnlineCount));
        Tick(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, Assert.Single(alice.Of(Ops.OnlineCount)).Count);
        Assert.Equal(2, Assert.Single(bob.Of(Ops.OnlineCount)).Count);
        Assert.Equal(1, Assert.Single(carol.Of(Ops.OnlineCount)).Count);
        Assert.All(alice.Sent.Where(s => s.Frame.Op == Ops.OnlineCount), s => Assert.Equal(Delivery.Unreliable, s.Delivery));

        Tick(_options.OnlineCountInterval);
        Assert.Equal(2, alice.Of(Ops.OnlineCount).Count);
    }

    [Fact]
    public async Task Joins_and_leaves_are_told_to_members_who_asked_for_user_updates_but_not_to_the_user_itself()
    {
        var (alice, _) = await LoginAsync("r1", "alice", userStatusNotify: true);
        var (bob, _) = await LoginAsync("r1", "bob", userStatusNotify: false);
        var (carol, result) = await LoginAsync("r1", "carol");

        Assert.Equal(3, result.Count);
        Assert.Equal(["alice", "bob"], result.Users!.Select(u => u.UserId).Order());
        var added = alice.Of(Ops.UserUpdate).Last();
        Assert.Equal(("add", "carol", "CAROL"), (added.UpdateType, added.Users!.Single().UserId, added.Users!.Single().UserName));
        Assert.Empty(bob.Of(Ops.UserUpdate));
        Assert.Empty(carol.Of(Ops.UserUpdate));

        var logout = await _rooms.LogoutAsync(carol, "r1");
        Assert.Equal(0, logout.Code);
        var deleted = alice.Of(Ops.UserUpdate).Last();
        Assert.Equal(("delete", "carol"), (deleted.UpdateType, deleted.Users!.Single().UserId));
        Assert.Empty(bob.Of(Ops.UserUpdate));

        await _rooms.OnSessionClosedAsync(bob, RoomLeaveReason.HeartbeatTimeout);
        await _rooms.OnSessionClosedAsync(alice, RoomLeaveReason.Dropped);
        Assert.Equal(
            ["create:r1:alice", "login:r1:alice", "login:r1:bob", "login:r1:carol", "logout:r1:carol:Normal",
             "logout:r1:bob:HeartbeatTimeout", "logout:r1:alice:Dropped", "close:r1:Dropped"],
            _observer.Events);
        Assert.Equal(1, _rooms.ConnectionCount); // carol logged out of her room but her connection is still open
        await _rooms.OnSessionClosedAsync(carol, RoomLeaveReason.Normal);
        Assert.Equal(0, _rooms.ConnectionCount);
    }

    [Fact]
    public async Task A_second_login_of_the_same_user_kicks_the_first_and_the_others_see_no_leave_or_join()
    {
        var (bob, _) = await LoginAsync("r1", "bob");
        var (first, _) = await LoginAsync("r1", "alice");
        bob.Clear();
        var (second, _) = await LoginAsync("r1", "alice");

        var kicked = Assert.Single(first.Of(Ops.RoomState));
        Assert.Equal(((int)RoomStateReason.KickOut, RoomErrorCodes.KickedByOtherLogin), (kicked.Reason, kicked.ErrorCode));
        Assert.Empty(_rooms.RoomsOf(first));
        Assert.Single(_rooms.RoomsOf(second));
        Assert.Empty(bob.Of(Ops.UserUpdate));
        Assert.Equal("logout:r1:alice:Kicked", _observer.Events.Last());
    }

    [Fact]
    public async Task A_broadcast_reaches_every_member_but_the_sender_reliably_with_increasing_ids()
    {
        var (alice, _) = await LoginAsync("r1", "alice");
        var (bob, _) = await LoginAsync("r1", "bob");
        var (carol, _) = await LoginAsync("r1", "carol");
        var (other, _) = await LoginAsync("r2", "dave");

        var first = _rooms.SendBroadcast(alice, Request("r1"));
        _time.Advance(TimeSpan.FromSeconds(1)); // past the per-client broadcast limit
        var second = _rooms.SendBroadcast(alice, Request("r1"));
        Assert.Equal((0, 0), (first.Code, second.Code));
        Assert.True(second.MessageId > first.MessageId);
        Assert.Equal((Node, Node), (first.MessageId!.Value & NodeIdentity.MaxId, second.MessageId!.Value & NodeIdentity.MaxId)); // the node is in every id

        Assert.Empty(alice.Of(Ops.Broadcast));
        Assert.Empty(other.Of(Ops.Broadcast));
        Assert.Equal([first.MessageId, second.MessageId], bob.Of(Ops.Broadcast).Select(f => f.MessageId));
        Assert.Equal(2, carol.Of(Ops.Broadcast).Count);
        var toBob = bob.Sent.Where(s => s.Frame.Op == Ops.Broadcast).ToArray();
        var toCarol = carol.Sent.Where(s => s.Frame.Op == Ops.Broadcast).ToArray();
        Assert.All(toBob, s => Assert.Equal(Delivery.Reliable, s.Delivery));
        Assert.Same(toBob[0].Bytes.Bytes, toCarol[0].Bytes.Bytes); // encoded once for the room
    }

    [Fact]
    public async Task A_custom_command_to_listed_users_reaches_only_them_never_the_sender_and_may_be_dropped()
    {
        var (alice, _) = await LoginAsync("r1", "alice");
        var (bob, _) = await LoginAsync("r1", "bob");
        var (carol, _) = await LoginAsync("r1", "carol");

        var sent = _rooms.SendCustomCommand(alice, Request("r1", to: ["bob", "alice"]));
        Assert.Equal(0, sent.Code);
        Assert.Single(bob.Of(Ops.CustomCommand));
        Assert.Empty(carol.Of(Ops.CustomCommand));
        Assert.Empty(alice.Of(Ops.CustomCommand));
        Assert.Equal(Delivery.Unreliable, bob.Sent.Single(s => s.Frame.Op == Ops.CustomCommand).Delivery);

        _rooms.SendCustomCommand(alice, Request("r1"));
        Assert.Equal(2, bob.Of(Ops.CustomCommand).Count);
        Assert.Single(carol.Of(Ops.CustomCommand));
        Assert.NotNull(_rooms.SendBarrage(alice, Request("r1")).BarrageId);
        Assert.Equal(Delivery.Unreliable, carol.Sent.Single(s => s.Frame.Op == Ops.Barrage).Delivery);
    }

    [Fact]
    public async Task A_recipient_that_is_behind_loses_unreliable_frames_but_not_broadcasts()
    {
        var slow = new FakeConnection(capacity: 8); // unreliable frames are refused once 4 are queued
        var (alice, _) = await LoginAsync("r1", "alice");
        await LoginAsync("r1", "bob", userStatusNotify: false, connection: slow);
        for (int i = 0; i < 6; i++) _rooms.SendCustomCommand(alice, Request("r1"));
        var broadcast = _rooms.SendBroadcast(alice, Request("r1"));

        Assert.Equal(0, broadcast.Code);
        Assert.Equal(4, slow.Of(Ops.CustomCommand).Count);
        Assert.Equal(2, slow.Dropped);
        Assert.Single(slow.Of(Ops.Broadcast));
    }

    [Fact]
    public async Task A_kick_from_the_server_removes_the_login_and_a_closed_connection_leaves_no_state()
    {
        var (alice, _) = await LoginAsync("r1", "alice");
        var (bob, _) = await LoginAsync("r1", "bob");
        Assert.Equal(1, await _rooms.KickAsync(1, "r1", ["alice", "nobody"], "bye"));
        var kicked = Assert.Single(alice.Of(Ops.RoomState));
        Assert.Equal((RoomErrorCodes.KickedByServer, "bye"), (kicked.ErrorCode, kicked.Error));
        Assert.Empty(_rooms.RoomsOf(alice));
        var refused = _rooms.SendBroadcast(alice, Request("r1"));
        Assert.Equal(RoomErrorCodes.NotLoggedIn, refused.Code);

        Assert.True(await _rooms.CloseRoomAsync(1, "r1", null));
        Assert.Equal(RoomErrorCodes.KickedByServer, Assert.Single(bob.Of(Ops.RoomState)).ErrorCode);
        Assert.False(await _rooms.CloseRoomAsync(1, "r1", null));
        await _rooms.OnSessionClosedAsync(alice, RoomLeaveReason.Normal);
        await _rooms.OnSessionClosedAsync(bob, RoomLeaveReason.Normal);
        Assert.Equal(0, _rooms.ConnectionCount);
    }
}
