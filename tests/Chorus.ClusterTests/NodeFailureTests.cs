using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Chorus.Client;
using Chorus.ClusterTests.Infrastructure;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.ClusterTests;

/// <summary>A cluster of its own, since its test kills a node.</summary>
public sealed class NodeFailureFixture : ClusterFixture
{
    /// <summary>The dead-node sweeps are logged (for the failure message).</summary>
    protected override IEnumerable<string> ExtraArguments => ["--Logging:LogLevel:Chorus.Bus.Redis=Information"];
}

/// <summary>A node killed with SIGKILL: nothing acknowledged is lost, its users leave, its clients resume elsewhere.</summary>
public sealed class NodeFailureTests(NodeFailureFixture cluster) : IClassFixture<NodeFailureFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The documented bound for a dead node's users to leave presence (NodeLivenessTimeout 10 s + sweeps: well within 30 s).</summary>
    private static readonly TimeSpan s_leaveBound = TimeSpan.FromSeconds(30);

    private static int Code(JsonElement e) => ClusterFixture.Code(e);

    [Fact]
    public async Task A_node_killed_mid_stream_loses_no_acknowledged_message_its_users_leave_and_its_clients_resume_on_another_node()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room";
        string sender = p + "-sender", receiver = p + "-receiver", stranded = p + "-stranded", mover = p + "-mover", strandedChat = p + "-stranded-chat";
        // clients that can move go through a balancer in front of node 1; the stranded ones talk to node 1 directly
        await using var balancer = new LoadBalancer(cluster.Url(0));
        Func<ChorusClientOptions, ChorusClientOptions> quickReconnect = o => o with { ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(1) };

        var witness = await cluster.InRoomAsync(2, room, p + "-witness");
        var witnessUpdates = new EventSink<RoomUserUpdated>();
        witness.RoomUserUpdated += witnessUpdates.Handler;
        await cluster.InRoomAsync(cluster.Url(0), room, stranded);
        var moving = await cluster.InRoomAsync(balancer.Url, room, mover, quickReconnect);
        var movingStates = new EventSink<RoomStateChanged>();
        moving.RoomStateChanged += movingStates.Handler;
        await witnessUpdates.NextAsync(e => e.UpdateType == RoomUpdateType.Add && e.Users.Any(u => u.UserId == mover), TimeSpan.FromSeconds(10));

        await cluster.ChatAsync(cluster.Url(0), strandedChat);
        var receiving = await cluster.ChatAsync(2, receiver);
        var sending = await cluster.ChatAsync(balancer.Url, sender, quickReconnect);
        var sendingStates = new EventSink<ChatConnectionStateChanged>();
        sending.ConnectionStateChanged += sendingStates.Handler;
        var sendingGot = new EventSink<MessagesReceived>();
        sending.PeerMessageReceived += sendingGot.Handler;

        // four streams of sends; node 1 dies while they run
        var acknowledged = new ConcurrentBag<long>();
        int afterKill = 0;
        var killed = new TaskCompletionSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        var streams = Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                var sent = await sending.SendMessageAsync(ChatMessage.Text($"s{stream}-{i}"), receiver, ConversationType.Peer, cancellationToken: CancellationToken.None);
                if (sent.ErrorCode == 0)
                {
                    acknowledged.Add(sent.Message.MessageId);
                    if (killed.Task.IsCompleted && Interlocked.Increment(ref afterKill) >= 20) return;
                }
                else if (!killed.Task.IsCompleted)
                {
                    Assert.Fail($"send failed before the kill: {sent.ErrorCode} {sent.ErrorMessage}");
                }
                else
                {
                    await Task.Delay(50, CancellationToken.None); // refused while the client reconnects
                }
            }
        })).ToArray();

        var startWait = Stopwatch.StartNew();
        while (acknowledged.Count < 40 && startWait.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(5, Ct);
        Assert.True(acknowledged.Count >= 40, "the sends did not get going");
        killed.SetResult(); // from now on a send may fail (the connection is lost) until the client is back
        cluster.Cluster[0].Kill();
        var sinceKill = Stopwatch.StartNew();
        balancer.Target = cluster.Url(1); // the balancer's health check takes the dead node out

        // while the sender is away, a message to it
        Assert.Equal(0, (await receiving.SendMessageAsync(ChatMessage.Text("while you were away"), sender, ConversationType.Peer, cancellationToken: Ct)).ErrorCode);

        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(70), Ct);
        Assert.True(afterKill >= 20, $"the sender did not resume on another node: {afterKill} sends acknowledged after the kill\n{cluster.Logs()}");

        // the clients that could move are back: the sender reconnected, logged in again and got what it missed
        await sendingStates.NextAsync(e => e.State == ChatConnectionState.Connected, TimeSpan.FromSeconds(20));
        await sendingGot.NextAsync(e => e.Messages.Any(m => m.Message == "while you were away"), TimeSpan.FromSeconds(20));
        await movingStates.NextAsync(e => e.Reason == RoomStateReason.Reconnected, TimeSpan.FromSeconds(20));

        // the killed node's users leave presence within the bound, with the leave event for the others
        var left = await witnessUpdates.NextAsync(e => e.UpdateType == RoomUpdateType.Delete && e.Users.Any(u => u.UserId == stranded), s_leaveBound - sinceKill.Elapsed);
        Assert.DoesNotContain(left.Users, u => u.UserId == mover);
        var users = await cluster.CallAsync(1, "DescribeUsers", ("RoomId", room), ("UserId[]", stranded), ("UserId[]", mover), ("UserId[]", p + "-witness"));
        Assert.Equal(0, Code(users));
        Assert.Equal([(stranded, 0), (mover, 1), (p + "-witness", 1)],
            users.GetProperty("Data").GetProperty("UserStatusList").EnumerateArray().Select(e => (e.GetProperty("UserId").GetString(), e.GetProperty("Status").GetInt32())));
        // its logout callback fires once (from the node that swept it), with the other members' callbacks untouched
        await cluster.Webhooks.WaitForAsync(room, e => WebhookReceiver.Describe(e) == "room_logout:" + stranded, TimeSpan.FromSeconds(10));
        string strandedChatState;
        do
        {
            var online = await cluster.CallAsync(2, "QueryUserOnlineState", ("UserId[]", strandedChat), ("UserId[]", sender));
            var states = online.GetProperty("Result").EnumerateArray().Select(e => e.GetProperty("Status").GetString()).ToArray();
            Assert.True(states[1] == "Online", $"the sender, logged in again on node 2, is {states[1]} {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill\n{cluster.Logs()}");
            strandedChatState = states[0]!;
            if (strandedChatState != "Offline") await Task.Delay(200, Ct);
        }
        while (strandedChatState != "Offline" && sinceKill.Elapsed < s_leaveBound);
        Assert.True(strandedChatState == "Offline", $"the stranded chat user is still {strandedChatState} {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill\n{cluster.Logs()}");

        // no acknowledged message is lost: all are in the history, read on another node, once each
        var history = new List<ChatMessage>();
        ChatMessage? next = null;
        for (int page = 0; page < 100; page++)
        {
            var result = await receiving.QueryHistoryMessageAsync(sender, ConversationType.Peer, new HistoryQueryConfig { Count = 100, NextMessage = next }, Ct);
            Assert.Equal(0, result.ErrorCode);
            if (result.Messages.Count == 0) break;
            history.AddRange(result.Messages);
            next = result.Messages[^1];
        }
        Assert.Single(cluster.Webhooks.ForRoom(room), e => WebhookReceiver.Describe(e) == "room_logout:" + stranded);
        var stored = history.Select(m => m.MessageId).ToHashSet();
        Assert.Equal(history.Count, stored.Count);
        var lost = acknowledged.Where(id => !stored.Contains(id)).ToArray();
        Assert.True(lost.Length == 0, $"{lost.Length} of {acknowledged.Count} acknowledged messages are not in the history");
        var seqs = history.Select(m => m.ConversationSeq).Order().ToArray();
        Assert.Equal(seqs.Distinct().Count(), seqs.Length); // one sequence, no number given twice
    }

    [Fact]
    public async Task A_node_frozen_past_its_liveness_that_dies_later_still_has_its_chat_users_removed()
    {
        string p = ClusterFixture.NewPrefix(), user = p + "-on-frozen";
        // a fourth node with a short liveness timeout, frozen long enough for the others to take it for dead
        var node = await cluster.Cluster.StartNodeAsync(nodeId: 40, extraArguments: ["--Chorus:NodeLivenessTimeout=00:00:03"], cancellationToken: Ct);
        node.Pause();
        try { await Task.Delay(TimeSpan.FromSeconds(8), Ct); }
        finally { node.Resume(); }
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // it notices the lapse and goes on in a new life

        await cluster.ChatAsync(node.Url, user);
        var online = await cluster.CallAsync(1, "QueryUserOnlineState", ("UserId[]", user));
        Assert.Equal("Online", online.GetProperty("Result")[0].GetProperty("Status").GetString());

        node.Kill();
        var sinceKill = Stopwatch.StartNew();
        string state;
        do
        {
            await Task.Delay(500, Ct);
            state = (await cluster.CallAsync(1, "QueryUserOnlineState", ("UserId[]", user))).GetProperty("Result")[0].GetProperty("Status").GetString()!;
        }
        while (state != "Offline" && sinceKill.Elapsed < s_leaveBound);
        Assert.True(state == "Offline", $"the chat user of the node that lapsed and then died is still {state} {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill\n{cluster.Logs()}");
    }

    [Fact]
    public async Task A_node_frozen_past_its_liveness_closes_its_connections_and_its_room_members_come_back_consistent()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-room", lapsing = p + "-lapsing";
        var node = await cluster.Cluster.StartNodeAsync(nodeId: 41, extraArguments: ["--Chorus:NodeLivenessTimeout=00:00:03"], cancellationToken: Ct);
        var witness = await cluster.InRoomAsync(2, room, p + "-witness");
        var updates = new EventSink<RoomUserUpdated>();
        witness.RoomUserUpdated += updates.Handler;
        var client = await cluster.InRoomAsync(node.Url, room, lapsing,
            o => o with { ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(1) });
        var states = new EventSink<RoomStateChanged>();
        client.RoomStateChanged += states.Handler;
        await updates.NextAsync(e => e.UpdateType == RoomUpdateType.Add && e.Users.Any(u => u.UserId == lapsing), TimeSpan.FromSeconds(10));

        // frozen long enough for the others to sweep it as dead: the witness sees the member leave
        node.Pause();
        try { await updates.NextAsync(e => e.UpdateType == RoomUpdateType.Delete && e.Users.Any(u => u.UserId == lapsing), TimeSpan.FromSeconds(20)); }
        finally { node.Resume(); }

        // the node finds its liveness lapsed: its local view is stale, so it closes its connections; the client logs back
        // in (to the same node, in its new life) and everyone sees it join again
        await states.NextAsync(e => e.Reason == RoomStateReason.Reconnected, TimeSpan.FromSeconds(20));
        await updates.NextAsync(e => e.UpdateType == RoomUpdateType.Add && e.Users.Any(u => u.UserId == lapsing), TimeSpan.FromSeconds(10));
        var count = await cluster.CallAsync(1, "DescribeUserNum", ("RoomId[]", room)); // node 1 (index 0) is killed by another test of this class
        Assert.Equal(2, count.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());
        // and the room still works across the nodes
        var got = new EventSink<CustomCommandReceived>();
        client.CustomCommandReceived += got.Handler;
        Assert.Equal(0, (await witness.SendCustomCommandAsync(room, "after the lapse", null, Ct)).ErrorCode);
        Assert.Equal("after the lapse", (await got.NextAsync(TimeSpan.FromSeconds(10))).Command);
        node.Kill();
    }
}
