using Chorus.Protocol;
using Chorus.Server.Chat;
using Chorus.Server.Core;

namespace Chorus.Server.Tests.Chat;

/// <summary>Sending without sockets: the per-user rate limit on a fake clock, typed refusals at the limits, fan-out rules.</summary>
public sealed class ChatDeliveryTests
{
    [Fact]
    public async Task Send_rate_limit_passes_exactly_the_limit_in_a_second_then_refuses_with_6000005_until_the_window_moves()
    {
        await using var chat = new ChatCore(o => o.ChatSendsPerSecond = 5);
        var alice = await chat.LoginAsync("alice");
        for (int i = 0; i < 5; i++)
            Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", $"m{i}"))).ErrorCode);

        var refused = await chat.CallAsync(alice, ChatCore.PeerText("bob", "one too many"));
        Assert.Equal(ChatErrorCodes.RateLimitServer, refused.ErrorCode);
        Assert.Equal("at most 5 messages per second per user", refused.Error);

        chat.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(ChatErrorCodes.RateLimitServer, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "still inside the window"))).ErrorCode);
        chat.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "a second later"))).ErrorCode);
    }

    [Fact]
    public async Task Send_rate_limit_is_per_user_and_starts_afresh_for_a_new_login()
    {
        await using var chat = new ChatCore(o => o.ChatSendsPerSecond = 2);
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        for (int i = 0; i < 2; i++) Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "x"))).ErrorCode);
        Assert.Equal(ChatErrorCodes.RateLimitServer, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "x"))).ErrorCode);
        Assert.Equal(0, (await chat.CallAsync(bob, ChatCore.PeerText("alice", "x"))).ErrorCode);

        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.ChatLogout })).ErrorCode);
        await chat.LoginAsync(alice, "carol");
        Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "x"))).ErrorCode);
    }

    [Fact]
    public async Task Text_at_the_byte_limit_is_sent_and_one_byte_more_is_refused_as_too_large()
    {
        await using var chat = new ChatCore(o => o.ChatMaxTextBytes = 100);
        var alice = await chat.LoginAsync("alice");
        Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", new string('a', 100)))).ErrorCode);
        var over = await chat.CallAsync(alice, ChatCore.PeerText("bob", new string('a', 101)));
        Assert.Equal(ChatErrorCodes.BadParameter, over.ErrorCode);
        Assert.Equal("message text is larger than 100 bytes", over.Error);

        // The typed refusal behind it: a size refusal, which the server API answers with its own code.
        var atLimit = new WireChatMessage { Type = ChatMessageType.Text, Text = new string('é', 50) }; // 100 bytes
        Assert.Null(chat.Validator.Message(atLimit, ConversationType.Peer));
        var tooLarge = chat.Validator.Message(new WireChatMessage { Type = ChatMessageType.Text, Text = new string('é', 50) + "a" }, ConversationType.Peer);
        Assert.Equal(new ChatError(ChatErrorCodes.BadParameter, "message text is larger than 100 bytes", ChatErrorKind.TooLarge), tooLarge);
    }

    [Fact]
    public void Command_data_at_5120_bytes_passes_and_5121_is_too_large_while_other_refusals_are_not_size_refusals()
    {
        var validator = new ChatValidator(Microsoft.Extensions.Options.Options.Create(new Hosting.ChatOptions()));
        WireChatMessage Command(int bytes) => new() { Type = ChatMessageType.Command, Data = Convert.ToBase64String(new byte[bytes]) };
        Assert.Null(validator.Message(Command(ChatLimits.MaxCommandBytes), ConversationType.Peer));
        Assert.Equal(ChatErrorKind.TooLarge, validator.Message(Command(ChatLimits.MaxCommandBytes + 1), ConversationType.Peer)?.Kind);

        var extended = new WireChatMessage { Type = ChatMessageType.Text, Text = "hi", ExtendedData = new string('x', ChatLimits.MaxExtendedDataBytes) };
        Assert.Null(validator.Message(extended, ConversationType.Peer));
        extended.ExtendedData += "x";
        Assert.Equal(new ChatError(ChatErrorCodes.BadParameter, "ExtendedData is longer than 1024 bytes"), validator.Message(extended, ConversationType.Peer));

        var barrageToPeer = validator.Message(new WireChatMessage { Type = ChatMessageType.Barrage, Text = "hi" }, ConversationType.Peer);
        Assert.Equal(ChatErrorKind.Other, barrageToPeer?.Kind);
        Assert.Equal("barrage messages are for rooms only", barrageToPeer?.Message);
    }

    [Fact]
    public async Task Peer_message_to_oneself_or_to_a_bad_id_is_refused_before_the_rate_limit_counts_it()
    {
        await using var chat = new ChatCore(o => o.ChatSendsPerSecond = 1);
        var alice = await chat.LoginAsync("alice");
        var self = await chat.CallAsync(alice, ChatCore.PeerText("alice", "hi"));
        Assert.Equal((ChatErrorCodes.BadParameter, "a peer message needs another user"), (self.ErrorCode, self.Error));
        var badId = await chat.CallAsync(alice, ChatCore.PeerText(new string('u', 65), "hi"));
        Assert.Equal((ChatErrorCodes.BadParameter, ChatLimits.ConversationIdRule(ConversationType.Peer)), (badId.ErrorCode, badId.Error));
        Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "the one allowed"))).ErrorCode);
    }

    [Fact]
    public async Task Stored_peer_message_reaches_the_recipient_reliably_with_its_conversation_named_by_the_sender()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        var sent = await chat.CallAsync(alice, ChatCore.PeerText("bob", "hello"));
        Assert.Equal(0, sent.ErrorCode);
        Assert.Equal(1, sent.Message!.ConversationSeq);

        var (frame, delivery, _) = Assert.Single(bob.Sent, s => s.Frame.Op == Ops.ChatMessage);
        Assert.Equal(Delivery.Reliable, delivery);
        Assert.Equal("alice", frame.Message!.ConversationId);
        Assert.Equal("hello", frame.Message.Text);
        Assert.Equal(sent.Message.MessageId, frame.Message.MessageId);
        Assert.Empty(alice.Of(Ops.ChatMessage)); // the sender gets its answer, not a copy
        Assert.Single(bob.Of(Ops.UnreadTotalChanged));
    }

    [Fact]
    public async Task Command_message_is_live_only_and_may_be_dropped()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        Assert.Equal(0, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "ping", ChatMessageType.Command))).ErrorCode);
        var (frame, delivery, _) = Assert.Single(bob.Sent, s => s.Frame.Op == Ops.ChatMessage);
        Assert.Equal(Delivery.Unreliable, delivery);
        Assert.Equal(ChatMessageType.Command, frame.Message!.Type);
        Assert.Empty(bob.Of(Ops.ConversationChanged)); // not stored: no conversation changes

        var history = await chat.CallAsync(bob, new Frame { Op = Ops.QueryHistory, ConvType = ConversationType.Peer, ConvId = "alice" });
        Assert.Empty(history.Messages!);
    }

    [Fact]
    public async Task Room_message_is_encoded_once_for_every_member_but_the_sender()
    {
        await using var chat = new ChatCore();
        var members = new List<FakeConnection>();
        foreach (var user in new[] { "alice", "bob", "carol", "dave" })
        {
            var c = await chat.LoginAsync(user);
            Assert.Equal(0, (await chat.CallAsync(c, new Frame { Op = Ops.EnterRoom, ConvId = "lobby", Name = "Lobby" })).ErrorCode);
            members.Add(c);
        }
        var sent = await chat.CallAsync(members[0], new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Room, ConvId = "lobby", Message = new WireChatMessage { Type = ChatMessageType.Text, Text = "hi all" } });
        Assert.Equal(0, sent.ErrorCode);

        Assert.Empty(members[0].Of(Ops.ChatMessage));
        var copies = members.Skip(1).Select(m => Assert.Single(m.Sent, s => s.Frame.Op == Ops.ChatMessage)).ToList();
        Assert.All(copies, c => Assert.Same(copies[0].Bytes.Bytes, c.Bytes.Bytes));
        Assert.All(copies, c => Assert.Equal(Delivery.Reliable, c.Delivery));
        Assert.Equal("lobby", copies[0].Frame.Message!.ConversationId);
        Assert.Equal(sent.Message!.ConversationSeq, copies[0].Frame.Message!.ConversationSeq);

        var barrage = await chat.CallAsync(members[1], new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Room, ConvId = "lobby", Message = new WireChatMessage { Type = ChatMessageType.Barrage, Text = "wow" } });
        Assert.Equal(0, barrage.ErrorCode);
        Assert.Equal(Delivery.Unreliable, members[0].Sent.Last().Delivery);
    }

    [Fact]
    public async Task Server_api_delivery_to_a_missing_group_or_room_is_a_typed_refusal()
    {
        await using var chat = new ChatCore();
        var text = new WireChatMessage { Type = ChatMessageType.Text, Text = "hi" };
        var group = await chat.Delivery.DeliverAsync(ChatCore.AppId, "backend", ConversationType.Group, "nogroup", text, CancellationToken.None, trusted: true);
        Assert.Null(group.Value);
        Assert.Equal(ChatError.GroupMissing, group.Error);
        var room = await chat.Delivery.DeliverAsync(ChatCore.AppId, "backend", ConversationType.Room, "noroom", text, CancellationToken.None, trusted: true);
        Assert.Equal(ChatErrorCodes.RoomMissing, room.Error?.Code);
    }

    [Fact]
    public async Task Group_message_is_encoded_once_for_the_members_online_and_reliable()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        var carol = await chat.LoginAsync("carol");
        var create = await chat.CallAsync(alice, new Frame { Op = Ops.CreateGroup, ConvId = "g1", Name = "G", Members = ["bob", "carol", "dave"] });
        Assert.Equal(0, create.ErrorCode);
        Assert.Equal(4, create.Group!.MemberCount);
        Assert.All(new[] { alice, bob, carol }, c => Assert.Equal("add", Assert.Single(c.Of(Ops.GroupMemberChanged)).UpdateType));

        var sent = await chat.CallAsync(bob, new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Group, ConvId = "g1", Message = new WireChatMessage { Type = ChatMessageType.Text, Text = "hi group" } });
        Assert.Equal(0, sent.ErrorCode);
        var toAlice = Assert.Single(alice.Sent, s => s.Frame.Op == Ops.ChatMessage);
        var toCarol = Assert.Single(carol.Sent, s => s.Frame.Op == Ops.ChatMessage);
        Assert.Same(toAlice.Bytes.Bytes, toCarol.Bytes.Bytes);
        Assert.Equal((Delivery.Reliable, "g1"), (toAlice.Delivery, toAlice.Frame.Message!.ConversationId));
        Assert.Empty(bob.Of(Ops.ChatMessage));

        var outsider = await chat.LoginAsync("eve");
        var refused = await chat.CallAsync(outsider, new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Group, ConvId = "g1", Message = new WireChatMessage { Type = ChatMessageType.Text, Text = "let me in" } });
        Assert.Equal((ChatErrorCodes.NoPermission, "only members may send to a group"), (refused.ErrorCode, refused.Error));
    }

    [Fact]
    public async Task A_group_command_is_encoded_once_named_by_the_group_and_unreliable()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        var carol = await chat.LoginAsync("carol");
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.CreateGroup, ConvId = "g2", Name = "G", Members = ["bob", "carol"] })).ErrorCode);
        var command = new WireChatMessage { Type = ChatMessageType.Command, Data = Convert.ToBase64String([1, 2, 3]) };
        Assert.Equal(0, (await chat.CallAsync(bob, new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Group, ConvId = "g2", Message = command })).ErrorCode);
        var toAlice = Assert.Single(alice.Sent, s => s.Frame.Op == Ops.ChatMessage);
        var toCarol = Assert.Single(carol.Sent, s => s.Frame.Op == Ops.ChatMessage);
        Assert.Same(toAlice.Bytes.Bytes, toCarol.Bytes.Bytes);
        Assert.Equal((Delivery.Unreliable, "g2", "bob"), (toAlice.Delivery, toAlice.Frame.Message!.ConversationId, toAlice.Frame.Message.SenderUserId));
        Assert.Empty(bob.Of(Ops.ChatMessage));
    }

    [Fact]
    public async Task A_store_failure_is_one_retryable_refusal_and_the_core_keeps_answering()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        await chat.CloseStoreAsync();
        var failed = await chat.CallAsync(alice, ChatCore.PeerText("bob", "lost?"));
        Assert.Equal((ChatErrorCodes.BadParameter, "the server could not store this; retry with the same localMessageId"), (failed.ErrorCode, failed.Error));
        // What needs no store still works.
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r1" })).ErrorCode);
    }
}
