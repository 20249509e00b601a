using System.Net.WebSockets;
using System.Text.Json;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

/// <summary>
/// Oversized input never knocks a connection down: the server answers a frame over its limit (1000005) and keeps the
/// connection, and the SDK refuses what the server would refuse by size, with the server's code, before sending.
/// </summary>
public class OversizedInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A ping of exactly <paramref name="bytes"/> bytes (ASCII), rid first.</summary>
    private static string Ping(long rid, int bytes)
    {
        string head = $$"""{"op":"ping","rid":{{rid}},"pad":""";
        return head + "\"" + new string('p', bytes - head.Length - 3) + "\"}";
    }

    private static async Task AssertPongAsync(RawSocket raw, long rid)
    {
        var pong = await raw.RequestOrPongAsync(rid);
        Assert.Equal(("pong", rid), (pong.GetProperty("op").GetString(), pong.GetProperty("rid").GetInt64()));
    }

    [Fact]
    public async Task Hello_tells_the_frame_and_text_limits_in_force()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:MaxFrameBytes"] = "40000", ["Chorus:ChatMaxTextBytes"] = "4096" });
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        Assert.Equal((40000, 4096), (raw.Hello.GetProperty("maxFrameBytes").GetInt32(), raw.Hello.GetProperty("maxTextBytes").GetInt32()));

        await using var defaults = await TestServer.StartAsync();
        await using var raw2 = await RawSocket.ConnectAsync(defaults.Url, TestServer.AppA);
        Assert.Equal((16384, 2048), (raw2.Hello.GetProperty("maxFrameBytes").GetInt32(), raw2.Hello.GetProperty("maxTextBytes").GetInt32()));
    }

    [Fact]
    public async Task A_frame_of_16384_bytes_is_processed_and_16385_is_answered_with_1000005_on_the_same_connection()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);

        string atLimit = Ping(1, FrameLimits.DefaultMaxFrameBytes);
        Assert.Equal(16384, atLimit.Length);
        await raw.SendTextAsync(atLimit);
        var pong = await raw.ReceiveAsync();
        Assert.Equal(("pong", 1L), (pong.GetProperty("op").GetString(), pong.GetProperty("rid").GetInt64()));

        string overLimit = Ping(2, FrameLimits.DefaultMaxFrameBytes + 1);
        Assert.Equal(16385, overLimit.Length);
        var refused = await raw.RequestAsync(overLimit);
        Assert.Equal(("result", 2L, RoomErrorCodes.FrameTooLarge), (refused.GetProperty("op").GetString(), refused.GetProperty("rid").GetInt64(), refused.GetProperty("errorCode").GetInt32()));
        Assert.Contains("16384", refused.GetProperty("error").GetString());

        // The connection stays up: the next request is answered, and a room login works on it.
        await AssertPongAsync(raw, 3);
        var login = await raw.RequestAsync($$"""{"op":"login","rid":4,"roomId":"r1","userId":"u1","token":"{{server.Token("u1")}}"}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());
        Assert.Equal(WebSocketState.Open, raw.Socket.State);
    }

    [Fact]
    public async Task An_oversized_frame_whose_rid_is_not_in_its_first_bytes_gets_an_error_frame_and_none_counts_as_malformed()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);

        var error = await raw.RequestAsync("{\"op\":\"ping\",\"pad\":\"" + new string('p', 20_000) + "\",\"rid\":7}");
        Assert.Equal(("error", RoomErrorCodes.FrameTooLarge), (error.GetProperty("op").GetString(), error.GetProperty("errorCode").GetInt32()));
        Assert.False(error.TryGetProperty("rid", out _));
        Assert.Contains("'ping'", error.GetProperty("error").GetString());

        // More oversized frames (not even JSON) than the malformed-frame allowance: each is answered, none closes.
        for (int i = 0; i <= Chorus.Server.Gateway.WebSocketGateway.MaxMalformedFrames + 1; i++)
        {
            var garbage = await raw.RequestAsync(new string('g', 17_000));
            Assert.Equal(("error", RoomErrorCodes.FrameTooLarge), (garbage.GetProperty("op").GetString(), garbage.GetProperty("errorCode").GetInt32()));
        }
        await AssertPongAsync(raw, 8);
    }

    [Fact]
    public async Task Frames_up_to_1_MiB_are_discarded_and_answered_and_a_larger_one_closes_with_1009()
    {
        await using var server = await TestServer.StartAsync();
        await using (var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
        {
            var refused = await raw.RequestAsync(Ping(1, FrameLimits.MaxDiscardedFrameBytes));
            Assert.Equal((1L, RoomErrorCodes.FrameTooLarge), (refused.GetProperty("rid").GetInt64(), refused.GetProperty("errorCode").GetInt32()));
            await AssertPongAsync(raw, 2);

            await raw.SendTextAsync(Ping(3, FrameLimits.MaxDiscardedFrameBytes + 1));
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, await raw.ReceiveCloseAsync());
        }
        await server.LoggedInAsync("r1", "still-works");
    }

    [Fact]
    public async Task Oversized_frames_count_against_the_per_connection_frame_limit()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:FramesPerConnectionPerSecond"] = "3" });
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        for (int rid = 1; rid <= 4; rid++) await raw.SendTextAsync(Ping(rid, 20_000));
        var codes = new List<int>();
        for (int i = 0; i < 4; i++) codes.Add((await raw.ReceiveAsync()).GetProperty("errorCode").GetInt32());
        // Within one second: three are answered as too large, the fourth is over the frame rate.
        Assert.Equal([RoomErrorCodes.FrameTooLarge, RoomErrorCodes.FrameTooLarge, RoomErrorCodes.FrameTooLarge, RoomErrorCodes.TooManyRequests], codes);
        Assert.Equal(WebSocketState.Open, raw.Socket.State);
    }

    [Fact]
    public async Task A_chat_request_over_the_frame_limit_is_answered_by_its_rid_and_the_chat_login_holds()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var login = await raw.RequestAsync($$"""{"op":"chatLogin","rid":1,"userId":"alice","userName":"alice","token":"{{server.Token("alice")}}"}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());

        var message = JsonSerializer.Serialize(new string('t', 40 * 1024));
        var refused = await raw.RequestAsync($$$"""{"op":"sendMessage","rid":2,"convType":0,"convId":"bob","message":{"type":1,"text":{{{message}}}}}""");
        Assert.Equal(("result", 2L, RoomErrorCodes.FrameTooLarge), (refused.GetProperty("op").GetString(), refused.GetProperty("rid").GetInt64(), refused.GetProperty("errorCode").GetInt32()));
        Assert.Contains("'sendMessage'", refused.GetProperty("error").GetString());

        var next = await raw.RequestAsync("""{"op":"sendMessage","rid":3,"convType":0,"convId":"bob","message":{"type":1,"text":"still logged in"}}""");
        Assert.Equal(0, next.GetProperty("errorCode").GetInt32());
    }

    [Fact]
    public async Task A_40_KB_chat_text_is_refused_by_the_SDK_with_6000001_and_the_connection_stays_up()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        var bob = await server.ChatAsync("bob");
        var states = new EventSink<ChatConnectionStateChanged>();
        alice.ConnectionStateChanged += states.Handler;
        var bobMessages = new EventSink<MessagesReceived>();
        bob.PeerMessageReceived += bobMessages.Handler;

        bool attached = false;
        var big = ChatMessage.Text(new string('t', 40 * 1024));
        var refused = await alice.SendMessageAsync(big, "bob", ConversationType.Peer, notification: new MessageSendNotification { OnMessageAttached = _ => attached = true }, cancellationToken: Ct);
        Assert.Equal((ChatErrorCodes.BadParameter, MessageSentStatus.Failed), (refused.ErrorCode, refused.Message.SentStatus));
        Assert.Equal("message text is larger than 2048 bytes", refused.ErrorMessage);
        Assert.False(attached);

        // No reconnect, no lost login: the next command succeeds at once and is delivered.
        var sent = await alice.SendMessageAsync(ChatMessage.Text("still here"), "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(0, sent.ErrorCode);
        Assert.Equal("still here", Assert.Single((await bobMessages.NextAsync()).Messages).Message);
        await states.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task The_SDK_checks_sizes_before_sending_even_without_a_connection()
    {
        await using var server = await TestServer.StartAsync();
        var chat = server.NewChat(); // never logged in: anything sent would fail with 6000121
        var refused = await chat.SendMessageAsync(ChatMessage.Text(new string('t', 40 * 1024)), "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(ChatErrorCodes.BadParameter, refused.ErrorCode);
        var valid = await chat.SendMessageAsync(ChatMessage.Text("small"), "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(ChatErrorCodes.NotLoggedIn, valid.ErrorCode);
        Assert.Equal(ChatErrorCodes.BadParameter, (await chat.LoginAsync(new ChatUserInfo("u", new string('n', 256)), server.Token("u"), Ct)).ErrorCode);

        var room = server.NewClient();
        var login = await room.LoginRoomAsync("r1", new RoomUser("u", new string('n', 256)), new RoomConfig { Token = server.Token("u") }, Ct);
        Assert.Equal(RoomErrorCodes.UserIdInvalid, login.ErrorCode);
        Assert.False(room.IsConnected);
        Assert.Equal(0, (await room.LoginRoomAsync("r1", new RoomUser("u", new string('n', 255)), new RoomConfig { Token = server.Token("u") }, Ct)).ErrorCode);
    }

    [Fact]
    public async Task The_SDK_takes_the_text_limit_from_the_server()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ChatMaxTextBytes"] = "4096" });
        var alice = await server.ChatAsync("alice");
        Assert.Equal(0, (await alice.SendMessageAsync(ChatMessage.Text(new string('t', 4096)), "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        var refused = await alice.SendMessageAsync(ChatMessage.Text(new string('t', 4097)), "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal((ChatErrorCodes.BadParameter, "message text is larger than 4096 bytes"), (refused.ErrorCode, refused.ErrorMessage));
        Assert.Equal(0, (await alice.SendMessageAsync(ChatMessage.Custom(new string('c', 4096), 1), "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
    }

    [Fact]
    public async Task Content_needing_no_escape_fits_at_every_field_limit_and_what_cannot_fit_a_frame_gets_1000005_before_sending()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        var bob = await server.ChatAsync("bob");
        var bobMessages = new EventSink<MessagesReceived>();
        bob.PeerMessageReceived += bobMessages.Handler;
        var states = new EventSink<ChatConnectionStateChanged>();
        alice.ConnectionStateChanged += states.Handler;

        // HTML-sensitive and non-ASCII characters go on the wire as themselves, so every field at its limit fits a frame.
        string html = new('<', 2048), extended = string.Concat(Enumerable.Repeat("é&", 256)); // 2048 and 768 bytes
        var full = new ChatMessage { Type = ChatMessageType.Text, Message = html, ExtendedData = extended + new string('>', 256) };
        Assert.Equal(0, (await alice.SendMessageAsync(full, "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        var got = Assert.Single((await bobMessages.NextAsync()).Messages);
        Assert.Equal((html, extended + new string('>', 256)), (got.Message, got.ExtendedData));

        // Control characters take six bytes each in JSON: within the field limits, but the request is over 16384 bytes.
        var control = new ChatMessage { Type = ChatMessageType.Text, Message = new string('\u0001', 2048), ExtendedData = new string('\u0002', 1024) };
        var refused = await alice.SendMessageAsync(control, "bob", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal((RoomErrorCodes.FrameTooLarge, MessageSentStatus.Failed), (refused.ErrorCode, refused.Message.SentStatus));
        Assert.Equal(0, (await alice.SendMessageAsync(ChatMessage.Text("next"), "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        await states.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Room_requests_are_checked_against_the_frame_limit_the_server_announced()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:MaxFrameBytes"] = "4096" });
        var setter = await server.LoggedInAsync("r1", "setter");
        var other = await server.LoggedInAsync("r1", "other");
        var states = new EventSink<RoomStateChanged>();
        setter.RoomStateChanged += states.Handler;
        var broadcasts = new EventSink<BroadcastMessagesReceived>();
        other.BroadcastMessageReceived += broadcasts.Handler;

        // A 4095-byte value is within the extra info limit, but its request is over this server's 4096-byte frames.
        var refused = await setter.SetRoomExtraInfoAsync("r1", "k", new string('v', 4095), Ct);
        Assert.Equal(RoomErrorCodes.FrameTooLarge, refused.ErrorCode);
        Assert.Contains("4096", refused.ErrorMessage);
        Assert.Equal(0, (await setter.SetRoomExtraInfoAsync("r1", "k", new string('v', 3900), Ct)).ErrorCode);

        // Field limits come first, with the server's codes.
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SetRoomExtraInfoAsync("r1", new string('k', 128), "v", Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SetRoomExtraInfoAsync("r1", "", "v", Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SetRoomExtraInfoAsync("r1", "k", new string('v', 4096), Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SendBroadcastMessageAsync("r1", new string('b', 40 * 1024), Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SendBarrageMessageAsync("r1", new string('b', 1025), Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SendCustomCommandAsync("r1", new string('c', 1025), null, Ct)).ErrorCode);

        // The connection stayed up all along.
        Assert.True(setter.IsConnected);
        Assert.Equal(0, (await setter.SendBroadcastMessageAsync("r1", "after", Ct)).ErrorCode);
        Assert.Equal("after", Assert.Single((await broadcasts.NextAsync()).Messages).Message);
        await states.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Chat_requests_are_checked_at_their_size_boundaries_before_sending()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.ChatAsync("alice");
        const int Bad = ChatErrorCodes.BadParameter;

        Assert.Equal(0, (await alice.CreateGroupAsync(new string('g', 32), new string('n', 64), ["bob"], Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.CreateGroupAsync(new string('g', 33), "n", ["bob"], Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.CreateGroupAsync("g2", new string('n', 65), ["bob"], Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.CreateGroupAsync("g2", "n", [new string('u', 65)], Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.InviteUsersIntoGroupAsync([new string('u', 65)], new string('g', 32), Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.QueryGroupMemberListAsync(new string('g', 33), Ct)).ErrorCode);

        Assert.Equal(0, (await alice.CreateRoomAsync(new string('r', 128), new string('n', 64), Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.CreateRoomAsync(new string('r', 129), "n", Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.EnterRoomAsync("room2", new string('n', 65), Ct)).ErrorCode);

        Assert.Equal(0, (await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, new HistoryQueryConfig { Count = 100 }, Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, new HistoryQueryConfig { Count = 101 }, Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.QueryHistoryMessageAsync(new string('u', 65), ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(0, (await alice.QueryConversationListAsync(100, Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.QueryConversationListAsync(101, Ct)).ErrorCode);
        Assert.Equal(0, (await alice.SendMessageReceiptsReadAsync([.. Enumerable.Range(1, 10).Select(i => (long)i)], "bob", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.SendMessageReceiptsReadAsync([.. Enumerable.Range(1, 11).Select(i => (long)i)], "bob", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Equal(0, (await alice.DeleteMessagesAsync([.. Enumerable.Range(1, 100).Select(i => (long)i)], "bob", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.DeleteMessagesAsync([.. Enumerable.Range(1, 101).Select(i => (long)i)], "bob", ConversationType.Peer, Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.SetConversationNotificationStatusAsync(true, new string('u', 65), ConversationType.Peer, Ct)).ErrorCode);

        var mentions = new ChatMessage { Type = ChatMessageType.Text, Message = "hi", MentionedUserIds = [.. Enumerable.Range(0, 101).Select(i => "u" + i)] };
        Assert.Equal(Bad, (await alice.SendMessageAsync(mentions, "bob", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(Bad, (await alice.SendMessageAsync(ChatMessage.Barrage(new string('b', 5 * 1024 + 1)), new string('r', 128), ConversationType.Room, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(0, (await alice.SendMessageAsync(ChatMessage.Barrage(new string('b', 5 * 1024)), new string('r', 128), ConversationType.Room, cancellationToken: Ct)).ErrorCode);
    }

    [Fact]
    public async Task After_DisposeAsync_every_method_throws_ObjectDisposedException()
    {
        await using var server = await TestServer.StartAsync();
        var room = await server.LoggedInAsync("r1", "u1");
        await room.DisposeAsync();
        await room.DisposeAsync(); // twice is fine
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.LoginRoomAsync("r1", new RoomUser("u1"), new RoomConfig { Token = server.Token("u1") }, Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.SendBroadcastMessageAsync("r1", "x", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.SendBarrageMessageAsync("r1", "x", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.SendCustomCommandAsync("r1", "x", null, Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.SetRoomExtraInfoAsync("r1", "k", "v", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.RenewTokenAsync("r1", server.Token("u1"), Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.LogoutRoomAsync("r1", Ct));

        var never = server.NewClient();
        await never.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => never.LoginRoomAsync("r1", new RoomUser("u2"), new RoomConfig { Token = server.Token("u2") }, Ct));

        var chat = await server.ChatAsync("alice");
        await chat.DisposeAsync();
        await chat.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.LoginAsync(new ChatUserInfo("alice"), server.Token("alice"), Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.SendMessageAsync(ChatMessage.Text("x"), "bob", ConversationType.Peer, cancellationToken: Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.QueryConversationListAsync(10, Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.QueryHistoryMessageAsync("bob", ConversationType.Peer, cancellationToken: Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.CreateGroupAsync("g1", "n", ["bob"], Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.EnterRoomAsync("room1", cancellationToken: Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.RevokeMessageAsync(1, Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.LogoutAsync(Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.RenewTokenAsync(server.Token("alice"), Ct));
    }
}
