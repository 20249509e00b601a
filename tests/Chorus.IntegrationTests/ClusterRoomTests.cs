using Chorus.Bus.Redis;
using Chorus.Client;
using Chorus.ExternalServers;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

/// <summary>
/// Rooms across two real servers in this process sharing one real redis-server (each node keeps its own SQLite chat:
/// only rooms are under test here; the 3-process cluster tests run chat on PostgreSQL): what a member on one node sees of
/// members, messages and server API calls on the other.
/// </summary>
public class ClusterRoomTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestServer> NodeAsync(RedisServer redis) =>
        TestServer.StartAsync(configure: b => b.Services.AddRedisBus(redis.Configuration));

    private static async Task<ChorusRoomClient> LoginAsync(TestServer node, string roomId, string userId, EventSink<RoomUserUpdated>? updates = null)
    {
        var client = node.NewClient();
        if (updates is not null) client.RoomUserUpdated += updates.Handler;
        var result = await client.LoginRoomAsync(roomId, new RoomUser(userId), new RoomConfig { Token = node.Token(userId), IsUserStatusNotify = true }, Ct);
        Assert.Equal(0, result.ErrorCode);
        return client;
    }

    [Fact]
    public async Task Members_on_two_nodes_see_each_other_and_each_other_s_messages_and_the_server_API_of_either_node_reaches_both()
    {
        await using var redis = await RedisServer.StartAsync(Ct);
        await using var one = await NodeAsync(redis);
        await using var two = await NodeAsync(redis);

        var aliceUpdates = new EventSink<RoomUserUpdated>();
        var alice = await LoginAsync(one, "r1", "alice", aliceUpdates);
        var bobClient = two.NewClient();
        var bobLogin = await bobClient.LoginRoomAsync("r1", new RoomUser("bob"), new RoomConfig { Token = two.Token("bob"), IsUserStatusNotify = true }, Ct);
        Assert.Equal(0, bobLogin.ErrorCode);
        Assert.Equal(["alice"], bobLogin.Users.Select(u => u.UserId)); // the login's answer lists the member of the other node
        var added = await aliceUpdates.NextAsync(u => u.UpdateType == RoomUpdateType.Add && u.Users.Any(x => x.UserId == "bob"));
        Assert.Equal("r1", added.RoomId);

        // Messages both ways.
        var aliceBroadcasts = new EventSink<BroadcastMessagesReceived>();
        alice.BroadcastMessageReceived += aliceBroadcasts.Handler;
        var sent = await bobClient.SendBroadcastMessageAsync("r1", "from two", Ct);
        Assert.Equal(0, sent.ErrorCode);
        var got = await aliceBroadcasts.NextAsync();
        Assert.Equal(("from two", sent.MessageId, "bob"), (got.Messages[0].Message, got.Messages[0].MessageId, got.Messages[0].FromUser.UserId));
        var bobCommands = new EventSink<CustomCommandReceived>();
        bobClient.CustomCommandReceived += bobCommands.Handler;
        Assert.Equal(0, (await alice.SendCustomCommandAsync("r1", "to bob", [new RoomUser("bob")], Ct)).ErrorCode);
        Assert.Equal("to bob", (await bobCommands.NextAsync()).Command);

        // The server API of node one counts, describes and reaches bob on node two; FailUsers names only the absent.
        var count = await one.CallAsync("DescribeUserNum", ("RoomId[]", "r1"));
        Assert.Equal(2, count.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());
        var described = await one.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", "bob"), ("UserId[]", "ghost"));
        var statuses = described.GetProperty("Data").GetProperty("UserStatusList");
        Assert.Equal((1, 0), (statuses[0].GetProperty("Status").GetInt32(), statuses[1].GetProperty("Status").GetInt32()));
        Assert.True(statuses[0].GetProperty("LoginTime").GetInt64() > 0);
        var command = await one.CallAsync("SendCustomCommand", ("RoomId", "r1"), ("FromUserId", "backend"), ("ToUserId[]", "bob"), ("ToUserId[]", "ghost"), ("MessageContent", "server says"));
        Assert.Equal(0, command.GetProperty("Code").GetInt32());
        var failed = command.GetProperty("Data").GetProperty("FailUsers");
        Assert.Equal(["ghost"], failed.EnumerateArray().Select(f => f.GetProperty("Uid").GetString()));
        Assert.Equal("server says", (await bobCommands.NextAsync()).Command);

        // A kick sent to node one reaches bob on node two; alice sees him leave.
        var bobState = new EventSink<RoomStateChanged>();
        bobClient.RoomStateChanged += bobState.Handler;
        Assert.Equal(0, (await one.CallAsync("KickoutUser", ("RoomId", "r1"), ("UserId[]", "bob"))).GetProperty("Code").GetInt32());
        var kicked = await bobState.NextAsync(s => s.Reason == RoomStateReason.KickOut);
        Assert.Equal(RoomErrorCodes.KickedByServer, kicked.ErrorCode);
        await aliceUpdates.NextAsync(u => u.UpdateType == RoomUpdateType.Delete && u.Users.Any(x => x.UserId == "bob"));
        var after = await two.CallAsync("DescribeUserNum", ("RoomId[]", "r1"));
        Assert.Equal(1, after.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());
    }

    [Fact]
    public async Task A_second_login_on_another_node_kicks_the_first_and_a_close_from_either_node_empties_the_room()
    {
        await using var redis = await RedisServer.StartAsync(Ct);
        await using var one = await NodeAsync(redis);
        await using var two = await NodeAsync(redis);

        var watcherUpdates = new EventSink<RoomUserUpdated>();
        var watcher = await LoginAsync(two, "r1", "watcher", watcherUpdates);
        var first = await LoginAsync(one, "r1", "alice");
        await watcherUpdates.NextAsync(u => u.UpdateType == RoomUpdateType.Add && u.Users.Any(x => x.UserId == "alice"));
        var firstState = new EventSink<RoomStateChanged>();
        first.RoomStateChanged += firstState.Handler;

        await LoginAsync(two, "r1", "alice");
        var replaced = await firstState.NextAsync(s => s.Reason == RoomStateReason.KickOut);
        Assert.Equal(RoomErrorCodes.KickedByOtherLogin, replaced.ErrorCode);
        // Others see no leave or join of alice for the replacement.
        await watcherUpdates.AssertNoneAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, (await one.CallAsync("DescribeUserNum", ("RoomId[]", "r1"))).GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());

        var watcherState = new EventSink<RoomStateChanged>();
        watcher.RoomStateChanged += watcherState.Handler;
        Assert.Equal(0, (await one.CallAsync("CloseRoom", ("RoomId", "r1"))).GetProperty("Code").GetInt32());
        Assert.Equal(RoomErrorCodes.KickedByServer, (await watcherState.NextAsync(s => s.Reason == RoomStateReason.KickOut)).ErrorCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await two.CallAsync("DescribeUserNum", ("RoomId[]", "r1"))).GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32() != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the room did not empty within 10 s");
            await Task.Delay(50, Ct);
        }
        Assert.Equal(ServerApiCodes.RoomNotFound, (await two.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", "alice"))).GetProperty("Code").GetInt32());
    }
}
