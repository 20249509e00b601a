using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class ChatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Peer_message_is_stored_acknowledged_delivered_and_counted_as_unread()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        var bob = await server.ChatAsync("bob");
        var bobMessages = new EventSink<MessagesReceived>();
        var bobConversations = new EventSink<ChatConversation>();
        var bobUnread = new EventSink<long>();
        var aliceConversations = new EventSink<ChatConversation>();
        bob.PeerMessageReceived += bobMessages.Handler;
        bob.ConversationChanged += bobConversations.Handler;
        bob.ConversationTotalUnreadMessageCountUpdated += bobUnread.Handler;
        alice.ConversationChanged += aliceConversations.Handler;

        ChatMessage? attached = null;
        var message = ChatMessage.Text("hello bob");
        var sent = await alice.SendMessageAsync(message, "bob", ConversationType.Peer, new MessageSendConfig(),
            new MessageSendNotification { OnMessageAttached = m => attached = m }, Ct);
        Assert.Equal(0, sent.ErrorCode);
        Assert.Same(message, attached);
        Assert.True(sent.Message.MessageId > 0);
        Assert.Equal(1, sent.Message.ConversationSeq);
        Assert.Equal(MessageSentStatus.Success, sent.Message.SentStatus);
        Assert.InRange(sent.Message.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var received = Assert.Single((await bobMessages.NextAsync()).Messages);
        Assert.Equal(("hello bob", "alice", "alice", sent.Message.MessageId, MessageDirection.Receive), (received.Message, received.ConversationId, received.SenderUserId, received.MessageId, received.Direction));
        var bobView = await bobConversations.NextAsync();
        Assert.Equal((1L, "alice"), (bobView.UnreadMessageCount, bobView.ConversationId));
        Assert.Equal(1, await bobUnread.NextAsync());
        var aliceView = await aliceConversations.NextAsync();
        Assert.Equal(("bob", 0L), (aliceView.ConversationId, aliceView.UnreadMessageCount)); // one's own message is never unread

        var list = await bob.QueryConversationListAsync(cancellationToken: Ct);
        var conv = Assert.Single(list.Conversations);
        Assert.Equal(("alice", 1L, "hello bob"), (conv.ConversationId, conv.UnreadMessageCount, conv.LastMessage!.Message));
        Assert.Equal(0, (await bob.ClearConversationUnreadMessageCountAsync("alice", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Equal(0, await bobUnread.NextAsync());
        Assert.Equal(0, Assert.Single((await bob.QueryConversationListAsync(cancellationToken: Ct)).Conversations).UnreadMessageCount);
    }

    [Fact]
    public async Task History_pages_both_ways_with_no_gap_and_no_duplicate()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ChatSendsPerSecond"] = "1000" });
        var alice = await server.ChatAsync("alice");
        var bob = await server.ChatAsync("bob");
        for (int i = 1; i <= 25; i++)
        {
            var sender = i % 3 == 0 ? bob : alice;
            Assert.Equal(0, (await sender.SendMessageAsync(ChatMessage.Text($"m{i}"), sender == bob ? "alice" : "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        }
        // ZIM's way: Reverse starts from the latest message; each page lists its messages oldest first, and the next
        // (older) page continues from the first message of this one.
        var backward = new List<ChatMessage>();
        var pageTexts = new List<string>();
        ChatMessage? next = null;
        for (int pages = 0; ; pages++)
        {
            Assert.True(pages <= 4, "history paging did not end"); // 25 messages are 4 pages of 7
            var page = await bob.QueryHistoryMessageAsync("alice", ConversationType.Peer, new HistoryQueryConfig { Count = 7, NextMessage = next, Reverse = true }, Ct);
            Assert.Equal(0, page.ErrorCode);
            if (page.Messages.Count == 0) break;
            pageTexts.Add(string.Join(",", page.Messages.Select(m => m.Message)));
            backward.InsertRange(0, page.Messages);
            next = page.Messages[0];
        }
        Assert.Equal(["m19,m20,m21,m22,m23,m24,m25", "m12,m13,m14,m15,m16,m17,m18", "m5,m6,m7,m8,m9,m10,m11", "m1,m2,m3,m4"], pageTexts);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"m{i}"), backward.Select(m => m.Message));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), backward.Select(m => m.ConversationSeq));

        // Without Reverse (the default): from the oldest forward, the next page continuing from the last message.
        var forward = new List<ChatMessage>();
        next = null;
        for (int pages = 0; ; pages++)
        {
            Assert.True(pages <= 3, "history paging did not end"); // 25 messages are 3 pages of 10
            var page = await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, new HistoryQueryConfig { Count = 10, NextMessage = next }, Ct);
            if (page.Messages.Count == 0) break;
            forward.AddRange(page.Messages);
            next = page.Messages[^1];
        }
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"m{i}"), forward.Select(m => m.Message));
        Assert.Equal(25, forward.Select(m => m.MessageId).Distinct().Count());
        Assert.True(forward.Zip(forward.Skip(1)).All(p => p.First.MessageId < p.Second.MessageId));
        Assert.Equal(ChatErrorCodes.BadParameter, (await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, new HistoryQueryConfig { Count = 101 }, Ct)).ErrorCode);
    }

    [Fact]
    public async Task Retrying_a_send_with_the_same_LocalMessageId_does_not_duplicate_it()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        var message = ChatMessage.Text("once");
        var first = await alice.SendMessageAsync(message, "bob", ConversationType.Peer, cancellationToken: Ct);
        var retry = await alice.SendMessageAsync(ChatMessage.Text("once") , "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.NotEqual(first.Message.MessageId, retry.Message.MessageId); // a new message has a new LocalMessageId
        var again = ChatMessage.Text("once");
        again.LocalMessageId = message.LocalMessageId;
        var duplicate = await alice.SendMessageAsync(again, "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(0, duplicate.ErrorCode);
        Assert.Equal((first.Message.MessageId, first.Message.ConversationSeq), (duplicate.Message.MessageId, duplicate.Message.ConversationSeq));
        var history = await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, new HistoryQueryConfig { Count = 10 }, Ct);
        Assert.Equal(2, history.Messages.Count);
    }

    [Fact]
    public async Task Limits_are_enforced_at_their_boundaries()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        async Task<int> Send(ChatMessage m, string to = "bob", ConversationType type = ConversationType.Peer) =>
            (await alice.SendMessageAsync(m, to, type, cancellationToken: Ct)).ErrorCode;

        Assert.Equal(0, await Send(ChatMessage.Text(new string('t', 2048))));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Text(new string('t', 2049))));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Text("")));
        Assert.Equal(0, await Send(ChatMessage.Command(new byte[5 * 1024])));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Command(new byte[5 * 1024 + 1])));
        Assert.Equal(0, await Send(ChatMessage.Custom("c", 200, new string('s', 64))));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Custom("c", 201)));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Custom("c", 1, new string('s', 65))));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Barrage("peers get no barrage")));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Text("x"), "alice")); // to oneself
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Text("x"), new string('u', 65)));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(ChatMessage.Text("x"), "bad group id", ConversationType.Group));
        Assert.Equal(ChatErrorCodes.BadParameter, await Send(new ChatMessage { Type = ChatMessageType.Text, Message = "x", ExtendedData = new string('e', 1025) }));
        // 10 sends per second per user: 9 above passed or failed validation (only valid ones count: 3), so 7 more pass
        for (int i = 0; i < 7; i++) Assert.Equal(0, await Send(ChatMessage.Text($"r{i}")));
        Assert.Equal(ChatErrorCodes.RateLimitServer, await Send(ChatMessage.Text("one too many")));
    }

    [Fact]
    public async Task Login_errors_and_a_second_login_kicks_the_first()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.NewChat();
        Assert.Equal(ChatErrorCodes.TokenInvalid, (await client.LoginAsync(new ChatUserInfo("u1"), server.Token("u2"), Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.TokenInvalid, (await client.LoginAsync(new ChatUserInfo("u1"), Token04.Generate(TestServer.AppA, "u1", TestServer.SecretB, 60), Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.TokenExpired, (await client.LoginAsync(new ChatUserInfo("u1"), Token04.Generate(TestServer.AppA, "u1", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddHours(-1)), Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await client.SendMessageAsync(ChatMessage.Text("x"), "u2", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);

        var first = await server.ChatAsync("same");
        var states = new EventSink<ChatConnectionStateChanged>();
        first.ConnectionStateChanged += states.Handler;
        await server.ChatAsync("same");
        var kicked = await states.NextAsync();
        Assert.Equal((ChatConnectionState.Disconnected, ChatConnectionEvent.KickedOut), (kicked.State, kicked.Event));
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await first.SendMessageAsync(ChatMessage.Text("x"), "u2", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
    }

    [Fact]
    public async Task Groups_check_membership_and_ownership()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ChatMaxGroupMembers"] = "3" });
        var owner = await server.ChatAsync("owner");
        var member = await server.ChatAsync("member");
        var outsider = await server.ChatAsync("outsider");
        var memberMessages = new EventSink<MessagesReceived>();
        member.GroupMessageReceived += memberMessages.Handler;

        var created = await owner.CreateGroupAsync("g1", "Friends", ["member"], Ct);
        Assert.Equal((0, 2), (created.ErrorCode, created.Group!.MemberCount));
        Assert.Equal(ChatErrorCodes.GroupExists, (await outsider.CreateGroupAsync("g1", "again", [], Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NoPermission, (await outsider.SendMessageAsync(ChatMessage.Text("let me in"), "g1", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NoPermission, (await outsider.QueryHistoryMessageAsync("g1", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.GroupMissing, (await outsider.SendMessageAsync(ChatMessage.Text("x"), "nope", ConversationType.Group, cancellationToken: Ct)).ErrorCode);

        Assert.Equal(0, (await owner.SendMessageAsync(ChatMessage.Text("welcome"), "g1", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        var got = Assert.Single((await memberMessages.NextAsync()).Messages);
        Assert.Equal(("welcome", "g1", ConversationType.Group), (got.Message, got.ConversationId, got.ConversationType));

        Assert.Equal(0, (await outsider.JoinGroupAsync("g1", Ct)).ErrorCode);
        var fourth = await server.ChatAsync("fourth");
        Assert.Equal(ChatErrorCodes.GroupFull, (await fourth.JoinGroupAsync("g1", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NoPermission, (await member.KickGroupMembersAsync(["outsider"], "g1", Ct)).ErrorCode);
        Assert.Equal(0, (await owner.KickGroupMembersAsync(["outsider"], "g1", Ct)).ErrorCode);
        Assert.Equal(["owner", "member"], (await owner.QueryGroupMemberListAsync("g1", Ct)).UserIds);
        Assert.Equal(ChatErrorCodes.NoPermission, (await outsider.SendMessageAsync(ChatMessage.Text("x"), "g1", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(0, (await member.LeaveGroupAsync("g1", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NoPermission, (await member.DismissGroupAsync("g1", Ct)).ErrorCode);
        Assert.Equal(0, (await owner.DismissGroupAsync("g1", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.GroupMissing, (await owner.QueryGroupInfoAsync("g1", Ct)).ErrorCode);
    }

    [Fact]
    public async Task Rooms_deliver_to_members_and_keep_a_bounded_history()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ChatRoomHistoryCount"] = "5", ["Chorus:ChatSendsPerSecond"] = "100" });
        var a = await server.ChatAsync("a");
        var b = await server.ChatAsync("b");
        var outsider = await server.ChatAsync("c");
        var bMessages = new EventSink<MessagesReceived>();
        b.RoomMessageReceived += bMessages.Handler;

        Assert.Equal(ChatErrorCodes.JoinRoomMissing, (await b.JoinRoomAsync("lobby", Ct)).ErrorCode);
        Assert.Equal(0, (await a.CreateRoomAsync("lobby", "Lobby", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomExists, (await b.CreateRoomAsync("lobby", "Lobby", Ct)).ErrorCode);
        Assert.Equal(0, (await b.JoinRoomAsync("lobby", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NotInRoom, (await outsider.SendMessageAsync(ChatMessage.Text("x"), "lobby", ConversationType.Room, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomMissing, (await outsider.SendMessageAsync(ChatMessage.Text("x"), "nowhere", ConversationType.Room, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.BadParameter, (await a.SendMessageAsync(ChatMessage.Text("x"), "lobby", ConversationType.Room, new MessageSendConfig { HasReceipt = true }, cancellationToken: Ct)).ErrorCode);

        for (int i = 1; i <= 8; i++) Assert.Equal(0, (await a.SendMessageAsync(ChatMessage.Text($"r{i}"), "lobby", ConversationType.Room, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(0, (await a.SendMessageAsync(ChatMessage.Barrage("wow"), "lobby", ConversationType.Room, cancellationToken: Ct)).ErrorCode);
        var received = new List<ChatMessage>();
        while (received.Count < 9) received.AddRange((await bMessages.NextAsync()).Messages);
        Assert.Equal([.. Enumerable.Range(1, 8).Select(i => $"r{i}"), "wow"], received.Select(m => m.Message));

        var history = await b.QueryHistoryMessageAsync("lobby", ConversationType.Room, new HistoryQueryConfig { Count = 100, Reverse = true }, Ct);
        Assert.Equal(["r4", "r5", "r6", "r7", "r8"], history.Messages.Select(m => m.Message)); // the last 5, oldest first; barrage never stored
        Assert.Equal(["a", "b"], (await b.QueryRoomMemberListAsync("lobby", Ct)).UserIds);
        Assert.Equal(0, (await b.LeaveRoomAsync("lobby", Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.NotInRoom, (await b.QueryRoomMemberListAsync("lobby", Ct)).ErrorCode);
    }

    [Fact]
    public async Task Receipts_revoke_delete_and_mute()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        var bob = await server.ChatAsync("bob");
        var receipts = new EventSink<MessageReceiptChanged>();
        alice.MessageReceiptChanged += receipts.Handler;
        var bobRevokes = new EventSink<ChatMessage>();
        bob.MessageRevokeReceived += bobRevokes.Handler;
        var bobUnread = new EventSink<long>();
        bob.ConversationTotalUnreadMessageCountUpdated += bobUnread.Handler;

        var withReceipt = (await alice.SendMessageAsync(ChatMessage.Text("read me"), "bob", ConversationType.Peer, new MessageSendConfig { HasReceipt = true }, cancellationToken: Ct)).Message;
        Assert.Equal(1, withReceipt.ReceiptStatus);
        Assert.Equal(1, await bobUnread.NextAsync());
        Assert.Equal(0, (await bob.SendMessageReceiptsReadAsync([withReceipt], "alice", ConversationType.Peer, Ct)).ErrorCode);
        var receipt = await receipts.NextAsync();
        Assert.Equal(("bob", withReceipt.MessageId, "bob"), (receipt.ConversationId, Assert.Single(receipt.MessageIds), receipt.ReaderUserId));
        var seen = await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(2, Assert.Single(seen.Messages).ReceiptStatus);
        Assert.Equal(ChatErrorCodes.BadParameter, (await bob.SendMessageReceiptsReadAsync([.. Enumerable.Range(1, 11).Select(i => (long)i)], "alice", ConversationType.Peer, Ct)).ErrorCode);

        var oops = (await alice.SendMessageAsync(ChatMessage.Text("oops"), "bob", ConversationType.Peer, cancellationToken: Ct)).Message;
        Assert.Equal(ChatErrorCodes.NoPermission, (await bob.RevokeMessageAsync(oops, Ct)).ErrorCode);
        Assert.Equal(0, (await alice.RevokeMessageAsync(oops, Ct)).ErrorCode);
        var revoked = await bobRevokes.NextAsync();
        Assert.Equal((oops.MessageId, ChatMessageType.Revoke), (revoked.MessageId, revoked.Type));
        var afterRevoke = await bob.QueryHistoryMessageAsync("alice", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal([ChatMessageType.Text, ChatMessageType.Revoke], afterRevoke.Messages.Select(m => m.Type));
        Assert.Null(afterRevoke.Messages[1].Message);

        // delete is per user: bob's view loses the message, alice's keeps it
        Assert.Equal(0, (await bob.DeleteMessagesAsync([withReceipt], "alice", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Single((await bob.QueryHistoryMessageAsync("alice", ConversationType.Peer, cancellationToken: Ct)).Messages);
        Assert.Equal(2, (await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, cancellationToken: Ct)).Messages.Count);
        Assert.Equal(0, (await bob.DeleteAllMessageAsync("alice", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Empty((await bob.QueryHistoryMessageAsync("alice", ConversationType.Peer, cancellationToken: Ct)).Messages);
        Assert.Equal(0, Assert.Single((await bob.QueryConversationListAsync(cancellationToken: Ct)).Conversations).UnreadMessageCount);

        // a muted conversation adds nothing to the total
        Assert.Equal(0, (await bob.SetConversationNotificationStatusAsync(true, "alice", ConversationType.Peer, Ct)).ErrorCode);
        while (bobUnread.TryTake(out _)) { }
        Assert.Equal(0, (await alice.SendMessageAsync(ChatMessage.Text("shh"), "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        await bobUnread.AssertNoneAsync(TimeSpan.FromMilliseconds(300));
        var muted = Assert.Single((await bob.QueryConversationListAsync(cancellationToken: Ct)).Conversations);
        Assert.Equal((true, 1L), (muted.IsMuted, muted.UnreadMessageCount));
    }
}
