using System.Text.Json;
using Chorus.Client;
using Chorus.ClusterTests.Infrastructure;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.ClusterTests;

/// <summary>Rooms across three nodes behave as on one: clients of one room on different nodes, server API calls to any node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RoomClusterTests(ClusterFixture cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private static int Code(JsonElement e) => ClusterFixture.Code(e);

    private async Task<int> UserCountAsync(int node, string roomId)
    {
        var r = await cluster.CallAsync(node, "DescribeUserNum", ("RoomId[]", roomId));
        Assert.Equal(0, Code(r));
        return r.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32();
    }

    [Fact]
    public async Task Presence_events_and_counts_span_the_nodes()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        var a = await cluster.InRoomAsync(0, room, p + "-a");
        var aUpdates = new EventSink<RoomUserUpdated>();
        var aCounts = new EventSink<RoomOnlineUserCountUpdated>();
        a.RoomUserUpdated += aUpdates.Handler;
        a.RoomOnlineUserCountUpdated += aCounts.Handler;

        var b = cluster.NewRoomClient(cluster.Url(1));
        var bUpdates = new EventSink<RoomUserUpdated>();
        b.RoomUserUpdated += bUpdates.Handler;
        var bLogin = await b.LoginRoomAsync(room, new RoomUser(p + "-b"), new RoomConfig { Token = ClusterFixture.Token(p + "-b") }, Ct);
        Assert.Equal(0, bLogin.ErrorCode);
        Assert.Equal([p + "-a"], bLogin.Users.Select(u => u.UserId)); // the member on node 1 is listed at login on node 2

        var c = cluster.NewRoomClient(cluster.Url(2));
        var cLogin = await c.LoginRoomAsync(room, new RoomUser(p + "-c"), new RoomConfig { Token = ClusterFixture.Token(p + "-c") }, Ct);
        Assert.Equal(0, cLogin.ErrorCode);
        Assert.Equal([p + "-a", p + "-b"], cLogin.Users.Select(u => u.UserId).Order());

        var added = await aUpdates.NextAsync(s_wait);
        Assert.Equal((RoomUpdateType.Add, p + "-b"), (added.UpdateType, Assert.Single(added.Users).UserId));
        added = await aUpdates.NextAsync(s_wait);
        Assert.Equal((RoomUpdateType.Add, p + "-c"), (added.UpdateType, Assert.Single(added.Users).UserId));
        // (b first hears of a, the member already there, as ZEGO's SDK reports the list at login)
        added = await bUpdates.NextAsync(e => e.Users.Any(u => u.UserId == p + "-c"), s_wait);
        Assert.Equal((RoomUpdateType.Add, p + "-c"), (added.UpdateType, Assert.Single(added.Users).UserId));

        // the count every member gets, and the server API's count on every node, cover all three nodes
        await aCounts.NextAsync(e => e.Count == 3, s_wait);
        for (int node = 0; node < 3; node++) Assert.Equal(3, await UserCountAsync(node, room));

        Assert.Equal(0, (await c.LogoutRoomAsync(room, Ct)).ErrorCode);
        var left = await aUpdates.NextAsync(s_wait);
        Assert.Equal((RoomUpdateType.Delete, p + "-c"), (left.UpdateType, Assert.Single(left.Users).UserId));
        left = await bUpdates.NextAsync(s_wait);
        Assert.Equal((RoomUpdateType.Delete, p + "-c"), (left.UpdateType, Assert.Single(left.Users).UserId));
        await aCounts.NextAsync(e => e.Count == 2, s_wait);
        for (int node = 0; node < 3; node++) Assert.Equal(2, await UserCountAsync(node, room));
    }

    [Fact]
    public async Task DescribeUsers_on_a_node_where_the_users_are_not()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        await cluster.InRoomAsync(0, room, p + "-a");
        await cluster.InRoomAsync(1, room, p + "-b");

        var users = await cluster.CallAsync(2, "DescribeUsers", ("RoomId", room), ("UserId[]", p + "-a"), ("UserId[]", p + "-b"), ("UserId[]", p + "-ghost"));
        Assert.Equal(0, Code(users));
        var list = users.GetProperty("Data").GetProperty("UserStatusList").EnumerateArray()
            .Select(e => (e.GetProperty("UserId").GetString(), e.GetProperty("Status").GetInt32())).ToArray();
        Assert.Equal([(p + "-a", 1), (p + "-b", 1), (p + "-ghost", 0)], list);
        Assert.Equal(ServerApiCodes.RoomNotFound, Code(await cluster.CallAsync(2, "DescribeUsers", ("RoomId", p + "-nowhere"), ("UserId[]", p + "-a"))));
    }

    [Fact]
    public async Task Custom_commands_reach_listed_users_and_the_room_across_nodes()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        var a = await cluster.InRoomAsync(0, room, p + "-a");
        var b = await cluster.InRoomAsync(1, room, p + "-b");
        var c = await cluster.InRoomAsync(2, room, p + "-c");
        var d = await cluster.InRoomAsync(0, room, p + "-d");
        var sinks = new[] { a, b, c, d }.Select(client =>
        {
            var sink = new EventSink<CustomCommandReceived>();
            client.CustomCommandReceived += sink.Handler;
            return sink;
        }).ToArray();

        var toTwo = await a.SendCustomCommandAsync(room, "to b and c", [new RoomUser(p + "-b"), new RoomUser(p + "-c")], Ct);
        Assert.Equal(0, toTwo.ErrorCode);
        foreach (var sink in sinks[1..3])
        {
            var got = await sink.NextAsync(s_wait);
            Assert.Equal(("to b and c", p + "-a", room), (got.Command, got.FromUser.UserId, got.RoomId));
        }

        Assert.Equal(0, (await a.SendCustomCommandAsync(room, "to all", null, Ct)).ErrorCode);
        foreach (var sink in sinks[1..])
            Assert.Equal("to all", (await sink.NextAsync(s_wait)).Command);
        await sinks[0].AssertNoneAsync(TimeSpan.FromMilliseconds(300)); // not to the sender
        await sinks[3].AssertNoneAsync(TimeSpan.FromMilliseconds(1)); // d was not listed in the first one

        // the server API on node 2 reaches users on nodes 1 and 3; only a user offline everywhere fails (50003)
        var api = await cluster.CallAsync(1, "SendCustomCommand", ("RoomId", room), ("FromUserId", "backend"),
            ("ToUserId[]", p + "-a"), ("ToUserId[]", p + "-c"), ("ToUserId[]", p + "-ghost"), ("MessageContent", "from the backend"));
        Assert.Equal(0, Code(api));
        var fail = Assert.Single(api.GetProperty("Data").GetProperty("FailUsers").EnumerateArray());
        Assert.Equal((p + "-ghost", ServerApiCodes.UserNotOnline), (fail.GetProperty("Uid").GetString(), fail.GetProperty("Code").GetInt32()));
        foreach (int i in new[] { 0, 2 })
            Assert.Equal(("from the backend", "backend"), await sinks[i].NextAsync(s_wait) is var got ? (got.Command, got.FromUser.UserId) : default);
        await sinks[1].AssertNoneAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Every_member_sees_the_broadcasts_of_all_nodes_in_one_order()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        const int perSender = 15, perApiNode = 5;
        var receivers = new List<ChorusRoomClient>();
        var senders = new List<ChorusRoomClient>();
        for (int node = 0; node < 3; node++)
        {
            receivers.Add(await cluster.InRoomAsync(node, room, $"{p}-r{node}"));
            senders.Add(await cluster.InRoomAsync(node, room, $"{p}-s{node}"));
        }
        var seen = receivers.Concat(senders).Select(client =>
        {
            var list = new List<BroadcastMessageInfo>();
            client.BroadcastMessageReceived += (_, e) => { lock (list) list.AddRange(e.Messages); };
            return list;
        }).ToArray();

        // every sender and every node's server API at once
        var sends = senders.Select((s, i) => Task.Run(async () =>
        {
            for (int k = 0; k < perSender; k++)
                Assert.Equal(0, (await s.SendBroadcastMessageAsync(room, $"s{i}-{k}", Ct)).ErrorCode);
        })).Concat(Enumerable.Range(0, 3).Select(node => Task.Run(async () =>
        {
            for (int k = 0; k < perApiNode; k++)
                Assert.Equal(0, Code(await cluster.CallAsync(node, "SendBroadcastMessage", ("RoomId", room), ("UserId", $"{p}-api{node}"),
                    ("MessageCategory", "1"), ("MessageContent", $"api{node}-{k}"))));
        }))).ToArray();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        int total = 3 * perSender + 3 * perApiNode;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        int Count(List<BroadcastMessageInfo> l) { lock (l) return l.Count; }
        while (DateTime.UtcNow < deadline && (seen[..3].Any(l => Count(l) < total) || seen[3..].Any(l => Count(l) < total - perSender)))
            await Task.Delay(50, Ct);

        var reference = seen[0].Select(m => m.MessageId).ToArray();
        Assert.Equal(total, reference.Length);
        Assert.Equal(total, reference.Distinct().Count());
        for (int i = 1; i < 3; i++) Assert.Equal(reference, seen[i].Select(m => m.MessageId));
        for (int i = 0; i < 3; i++)
        {
            // a sender gets everything but its own, in the same order as everyone else
            string own = $"s{i}-";
            var expected = seen[0].Where(m => !m.Message.StartsWith(own, StringComparison.Ordinal)).Select(m => m.MessageId);
            Assert.Equal(expected, seen[3 + i].Select(m => m.MessageId));
        }
        // each sender's own messages keep the order it sent them in
        for (int i = 0; i < 3; i++)
            Assert.Equal(Enumerable.Range(0, perSender).Select(k => $"s{i}-{k}"), seen[0].Where(m => m.Message.StartsWith($"s{i}-", StringComparison.Ordinal)).Select(m => m.Message));
    }

    [Fact]
    public async Task Barrage_from_a_client_and_the_server_api_reaches_every_node()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        var a = await cluster.InRoomAsync(0, room, p + "-a");
        var b = await cluster.InRoomAsync(1, room, p + "-b");
        var c = await cluster.InRoomAsync(2, room, p + "-c");
        var sinks = new[] { a, b, c }.Select(client =>
        {
            var sink = new EventSink<BarrageMessagesReceived>();
            client.BarrageMessageReceived += sink.Handler;
            return sink;
        }).ToArray();

        var sent = await b.SendBarrageMessageAsync(room, "wow", Ct);
        Assert.Equal(0, sent.ErrorCode);
        foreach (int i in new[] { 0, 2 })
        {
            var m = Assert.Single((await sinks[i].NextAsync(s_wait)).Messages);
            Assert.Equal(("wow", sent.MessageId, p + "-b"), (m.Message, m.MessageId, m.FromUser.UserId));
        }

        var api = await cluster.CallAsync(2, "SendBarrageMessage", ("RoomId", room), ("UserId", p + "-bot"), ("UserName", "Bot"), ("MessageCategory", "1"), ("MessageContent", "from the api"));
        Assert.Equal(0, Code(api));
        string id = api.GetProperty("Data").GetProperty("MessageId").GetString()!;
        foreach (var sink in sinks)
        {
            var m = Assert.Single((await sink.NextAsync(s_wait)).Messages);
            Assert.Equal(("from the api", id), (m.Message, m.MessageId));
        }
    }

    [Fact]
    public async Task KickoutUser_sent_to_another_node_kicks_and_others_see_the_leave()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        var victim = await cluster.InRoomAsync(0, room, p + "-victim");
        var witness = await cluster.InRoomAsync(1, room, p + "-witness");
        var states = new EventSink<RoomStateChanged>();
        victim.RoomStateChanged += states.Handler;
        var updates = new EventSink<RoomUserUpdated>();
        witness.RoomUserUpdated += updates.Handler;

        Assert.Equal(0, Code(await cluster.CallAsync(2, "KickoutUser", ("RoomId", room), ("UserId[]", p + "-victim"), ("CustomReason", "spam"))));
        var state = await states.NextAsync(s_wait);
        Assert.Equal((RoomStateReason.KickOut, RoomErrorCodes.KickedByServer, "spam"), (state.Reason, state.ErrorCode, state.ExtendedData));
        var update = await updates.NextAsync(s_wait);
        Assert.Equal((RoomUpdateType.Delete, p + "-victim"), (update.UpdateType, Assert.Single(update.Users).UserId));
        Assert.Equal(RoomErrorCodes.NotLoggedIn, (await victim.SendCustomCommandAsync(room, "still here?", null, Ct)).ErrorCode);
        for (int node = 0; node < 3; node++) Assert.Equal(1, await UserCountAsync(node, room));
    }

    [Fact]
    public async Task CloseRoom_sent_to_any_node_kicks_the_members_of_every_node()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        var a = await cluster.InRoomAsync(0, room, p + "-a");
        var c = await cluster.InRoomAsync(2, room, p + "-c");
        var aStates = new EventSink<RoomStateChanged>();
        var cStates = new EventSink<RoomStateChanged>();
        a.RoomStateChanged += aStates.Handler;
        c.RoomStateChanged += cStates.Handler;

        Assert.Equal(0, Code(await cluster.CallAsync(1, "CloseRoom", ("RoomId", room), ("CustomReason", "show over"))));
        foreach (var sink in new[] { aStates, cStates })
        {
            var state = await sink.NextAsync(s_wait);
            Assert.Equal((RoomStateReason.KickOut, RoomErrorCodes.KickedByServer), (state.Reason, state.ErrorCode));
        }
        for (int node = 0; node < 3; node++) Assert.Equal(0, await UserCountAsync(node, room));
        Assert.Equal(ServerApiCodes.CloseRoomNotExist, Code(await cluster.CallAsync(0, "CloseRoom", ("RoomId", room))));
    }

    [Fact]
    public async Task Room_callbacks_fire_once_per_event_whichever_node_it_happened_on()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        var a = await cluster.InRoomAsync(0, room, p + "-a");
        await cluster.InRoomAsync(1, room, p + "-b");
        var c = await cluster.InRoomAsync(2, room, p + "-c");
        Assert.Equal(0, Code(await cluster.CallAsync(2, "KickoutUser", ("RoomId", room), ("UserId[]", p + "-b"))));
        Assert.Equal(0, (await a.LogoutRoomAsync(room, Ct)).ErrorCode);
        Assert.Equal(0, (await c.LogoutRoomAsync(room, Ct)).ErrorCode);

        await cluster.Webhooks.WaitForAsync(room, e => e.GetProperty("event").GetString() == "room_close", s_wait);
        await Task.Delay(1000, Ct); // time for a duplicate from another node to show up
        var events = cluster.Webhooks.ForRoom(room);
        string[] Users(string name) => [.. events.Where(e => e.GetProperty("event").GetString() == name).Select(e => e.GetProperty("user_account").GetString()!).Order()];
        Assert.Equal(1, events.Count(e => e.GetProperty("event").GetString() == "room_create"));
        Assert.Equal([p + "-a", p + "-b", p + "-c"], Users("room_login"));
        Assert.Equal([p + "-a", p + "-b", p + "-c"], Users("room_logout"));
        Assert.Equal(3, events.Single(e => e.GetProperty("event").GetString() == "room_logout" && e.GetProperty("user_account").GetString() == p + "-b").GetProperty("reason").GetInt32()); // kicked
        Assert.Equal(1, events.Count(e => e.GetProperty("event").GetString() == "room_close"));
        Assert.All(events, e => Assert.True(WebhookSignature.Matches(ClusterFixture.CallbackSecret, e.GetProperty("timestamp").GetString()!, e.GetProperty("nonce").GetString()!, e.GetProperty("signature").GetString()!)));
    }
}
