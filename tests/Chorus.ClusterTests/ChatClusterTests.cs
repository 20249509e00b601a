using System.Text.Json;
using Chorus.Client;
using Chorus.ClusterTests.Infrastructure;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.ClusterTests;

/// <summary>Chat across three nodes behaves as on one: users on different nodes, the server API on any node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ChatClusterTests(ClusterFixture cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private static int Code(JsonElement e) => ClusterFixture.Code(e);

    [Fact]
    public async Task Peer_messages_are_delivered_live_counted_and_kept_in_history_across_nodes()
    {
        string p = ClusterFixture.NewPrefix(), alice = p + "-alice", bob = p + "-bob";
        var a = await cluster.ChatAsync(0, alice);
        var b = await cluster.ChatAsync(1, bob);
        var bMessages = new EventSink<MessagesReceived>();
        var bUnread = new EventSink<long>();
        var aMessages = new EventSink<MessagesReceived>();
        b.PeerMessageReceived += bMessages.Handler;
        b.ConversationTotalUnreadMessageCountUpdated += bUnread.Handler;
        a.PeerMessageReceived += aMessages.Handler;

        var first = await a.SendMessageAsync(ChatMessage.Text("hello from node 1"), bob, ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(0, first.ErrorCode);
        var got = Assert.Single((await bMessages.NextAsync(s_wait)).Messages);
        Assert.Equal(("hello from node 1", alice, first.Message.MessageId, 1L), (got.Message, got.SenderUserId, got.MessageId, got.ConversationSeq));
        Assert.Equal(1, await bUnread.NextAsync(s_wait));
        var bobView = Assert.Single((await b.QueryConversationListAsync(cancellationToken: Ct)).Conversations);
        Assert.Equal((alice, 1L), (bobView.ConversationId, bobView.UnreadMessageCount));
        Assert.Equal(0, (await b.ClearConversationUnreadMessageCountAsync(alice, ConversationType.Peer, Ct)).ErrorCode);
        Assert.Equal(0, await bUnread.NextAsync(e => e == 0, s_wait));
        Assert.Equal(0, Assert.Single((await b.QueryConversationListAsync(cancellationToken: Ct)).Conversations).UnreadMessageCount);

        var second = await b.SendMessageAsync(ChatMessage.Text("hello from node 2"), alice, ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal((0, 2L), (second.ErrorCode, second.Message.ConversationSeq)); // one sequence per conversation, whatever the node
        Assert.Equal("hello from node 2", Assert.Single((await aMessages.NextAsync(s_wait)).Messages).Message);


        // alice moves to node 3: her history and conversations are there
        Assert.Equal(0, (await a.LogoutAsync(Ct)).ErrorCode);
        var a3 = await cluster.ChatAsync(2, alice);
        var history = await a3.QueryHistoryMessageAsync(bob, ConversationType.Peer, new HistoryQueryConfig { Count = 10, Reverse = true }, Ct);
        Assert.Equal(0, history.ErrorCode);
        Assert.Equal(["hello from node 1", "hello from node 2"], history.Messages.Select(m => m.Message));
        Assert.Equal([first.Message.MessageId, second.Message.MessageId], history.Messages.Select(m => m.MessageId));
        var aliceView = Assert.Single((await a3.QueryConversationListAsync(cancellationToken: Ct)).Conversations);
        Assert.Equal((bob, 1L, "hello from node 2"), (aliceView.ConversationId, aliceView.UnreadMessageCount, aliceView.LastMessage!.Message));
    }

    [Fact]
    public async Task Receipts_and_revoke_reach_the_other_node()
    {
        string p = ClusterFixture.NewPrefix(), alice = p + "-alice", bob = p + "-bob";
        var a = await cluster.ChatAsync(0, alice);
        var b = await cluster.ChatAsync(2, bob);
        var receipts = new EventSink<MessageReceiptChanged>();
        a.MessageReceiptChanged += receipts.Handler;
        var revokes = new EventSink<ChatMessage>();
        b.MessageRevokeReceived += revokes.Handler;
        var bMessages = new EventSink<MessagesReceived>();
        b.PeerMessageReceived += bMessages.Handler;

        var withReceipt = (await a.SendMessageAsync(ChatMessage.Text("read me"), bob, ConversationType.Peer, new MessageSendConfig { HasReceipt = true }, cancellationToken: Ct)).Message;
        Assert.Equal(1, withReceipt.ReceiptStatus);
        await bMessages.NextAsync(s_wait);
        Assert.Equal(0, (await b.SendMessageReceiptsReadAsync([withReceipt.MessageId], alice, ConversationType.Peer, Ct)).ErrorCode);
        var receipt = await receipts.NextAsync(s_wait);
        Assert.Equal((bob, withReceipt.MessageId, bob), (receipt.ConversationId, Assert.Single(receipt.MessageIds), receipt.ReaderUserId));
        Assert.Equal(2, Assert.Single((await a.QueryHistoryMessageAsync(bob, ConversationType.Peer, cancellationToken: Ct)).Messages).ReceiptStatus);

        var oops = (await a.SendMessageAsync(ChatMessage.Text("oops"), bob, ConversationType.Peer, cancellationToken: Ct)).Message;
        await bMessages.NextAsync(s_wait);
        Assert.Equal(0, (await a.RevokeMessageAsync(oops, Ct)).ErrorCode);
        var revoked = await revokes.NextAsync(s_wait);
        Assert.Equal((oops.MessageId, ChatMessageType.Revoke), (revoked.MessageId, revoked.Type));
        var bobHistory = await b.QueryHistoryMessageAsync(alice, ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal([ChatMessageType.Text, ChatMessageType.Revoke], bobHistory.Messages.Select(m => m.Type));
    }

    [Fact]
    public async Task Groups_deliver_to_members_on_every_node_and_stop_at_a_kick()
    {
        string p = ClusterFixture.NewPrefix(), group = p + "-g", owner = p + "-owner", m1 = p + "-m1", m2 = p + "-m2";
        var o = await cluster.ChatAsync(0, owner);
        var one = await cluster.ChatAsync(1, m1);
        var two = await cluster.ChatAsync(2, m2);
        var sinks = new[] { o, one, two }.Select(c =>
        {
            var sink = new EventSink<MessagesReceived>();
            c.GroupMessageReceived += sink.Handler;
            return sink;
        }).ToArray();
        var twoMembers = new EventSink<GroupMemberChanged>();
        two.GroupMemberStateChanged += twoMembers.Handler;

        var created = await o.CreateGroupAsync(group, "Team", [m1, m2], Ct);
        Assert.Equal((0, 3), (created.ErrorCode, created.Group!.MemberCount));
        Assert.Equal(0, (await o.SendMessageAsync(ChatMessage.Text("welcome"), group, ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        foreach (var sink in sinks[1..])
            Assert.Equal(("welcome", owner), Assert.Single((await sink.NextAsync(s_wait)).Messages) is var m ? (m.Message, m.SenderUserId) : default);
        Assert.Equal(0, (await two.SendMessageAsync(ChatMessage.Text("hi all"), group, ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        foreach (var sink in sinks[..2])
            Assert.Equal("hi all", Assert.Single((await sink.NextAsync(s_wait)).Messages).Message);
        Assert.Equal([owner, m1, m2], (await two.QueryGroupMemberListAsync(group, Ct)).UserIds);
        Assert.Equal(["welcome", "hi all"], (await one.QueryHistoryMessageAsync(group, ConversationType.Group, cancellationToken: Ct)).Messages.Select(m => m.Message));

        Assert.Equal(0, (await o.KickGroupMembersAsync([m2], group, Ct)).ErrorCode);
        await twoMembers.NextAsync(e => e.UserIds.Contains(m2), s_wait);
        Assert.Equal(0, (await o.SendMessageAsync(ChatMessage.Text("after the kick"), group, ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        Assert.Equal("after the kick", Assert.Single((await sinks[1].NextAsync(s_wait)).Messages).Message);
        await sinks[2].AssertNoneAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(ChatErrorCodes.NoPermission, (await two.SendMessageAsync(ChatMessage.Text("x"), group, ConversationType.Group, cancellationToken: Ct)).ErrorCode);
    }

    [Fact]
    public async Task Chat_rooms_deliver_to_members_on_every_node()
    {
        string p = ClusterFixture.NewPrefix(), room = p + "-lobby";
        var a = await cluster.ChatAsync(0, p + "-a");
        var b = await cluster.ChatAsync(1, p + "-b");
        var c = await cluster.ChatAsync(2, p + "-c");
        var bGot = new EventSink<MessagesReceived>();
        var cGot = new EventSink<MessagesReceived>();
        b.RoomMessageReceived += bGot.Handler;
        c.RoomMessageReceived += cGot.Handler;

        Assert.Equal(0, (await a.CreateRoomAsync(room, "Lobby", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomExists, (await b.CreateRoomAsync(room, "Lobby", Ct)).ErrorCode);
        Assert.Equal(0, (await b.JoinRoomAsync(room, Ct)).ErrorCode);
        Assert.Equal(0, (await c.JoinRoomAsync(room, Ct)).ErrorCode);
        Assert.Equal([p + "-a", p + "-b", p + "-c"], (await c.QueryRoomMemberListAsync(room, Ct)).UserIds.Order());
        for (int i = 1; i <= 3; i++)
            Assert.Equal(0, (await a.SendMessageAsync(ChatMessage.Text($"r{i}"), room, ConversationType.Room, cancellationToken: Ct)).ErrorCode);
        foreach (var sink in new[] { bGot, cGot })
        {
            var received = new List<string?>();
            while (received.Count < 3) received.AddRange((await sink.NextAsync(s_wait)).Messages.Select(m => m.Message));
            Assert.Equal(["r1", "r2", "r3"], received);
        }
        Assert.Equal(["r1", "r2", "r3"], (await c.QueryHistoryMessageAsync(room, ConversationType.Room, new HistoryQueryConfig { Count = 10, Reverse = true }, Ct)).Messages.Select(m => m.Message));
    }

    [Fact]
    public async Task A_login_on_another_node_kicks_the_first_login_of_the_user()
    {
        string p = ClusterFixture.NewPrefix(), user = p + "-same", other = p + "-other";
        var first = await cluster.ChatAsync(0, user);
        var states = new EventSink<ChatConnectionStateChanged>();
        first.ConnectionStateChanged += states.Handler;
        var second = await cluster.ChatAsync(1, user);
        var kicked = await states.NextAsync(e => e.State == ChatConnectionState.Disconnected, s_wait);
        Assert.Equal(ChatConnectionEvent.KickedOut, kicked.Event);
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await first.SendMessageAsync(ChatMessage.Text("x"), other, ConversationType.Peer, cancellationToken: Ct)).ErrorCode);

        // messages to the user reach the new login only
        var firstGot = new EventSink<MessagesReceived>();
        var secondGot = new EventSink<MessagesReceived>();
        first.PeerMessageReceived += firstGot.Handler;
        second.PeerMessageReceived += secondGot.Handler;
        var sender = await cluster.ChatAsync(2, other);
        Assert.Equal(0, (await sender.SendMessageAsync(ChatMessage.Text("to the new login"), user, ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        Assert.Equal("to the new login", Assert.Single((await secondGot.NextAsync(s_wait)).Messages).Message);
        await firstGot.AssertNoneAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task The_server_api_on_one_node_reaches_and_sees_users_of_another()
    {
        string p = ClusterFixture.NewPrefix(), bob = p + "-bob";
        var b = await cluster.ChatAsync(0, bob);
        var got = new EventSink<MessagesReceived>();
        b.PeerMessageReceived += got.Handler;

        var online = await cluster.CallAsync(1, "QueryUserOnlineState", ("UserId[]", bob), ("UserId[]", p + "-away"));
        Assert.Equal(0, Code(online));
        Assert.Equal([(bob, "Online"), (p + "-away", "Offline")],
            online.GetProperty("Result").EnumerateArray().Select(e => (e.GetProperty("UserId").GetString(), e.GetProperty("Status").GetString())));

        var sent = await cluster.PostAsync(2, "SendPeerMessage", $$$"""{"FromUserId":"{{{p}}}-system","ToUserId":["{{{bob}}}"],"MessageBody":{"Message":"from node 3's api"}}""");
        Assert.Equal(0, Code(sent));
        var m = Assert.Single((await got.NextAsync(s_wait)).Messages);
        Assert.Equal(("from node 3's api", p + "-system"), (m.Message, m.SenderUserId));
        Assert.Equal(Assert.Single(sent.GetProperty("SuccList").EnumerateArray()).GetProperty("MsgId").GetString(), m.MessageId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
