using Chorus.Bus.Redis;
using Chorus.ExternalServers;
using Chorus.Protocol;
using Chorus.Server.Chat;
using Chorus.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Chorus.Server.Tests.Chat;

/// <summary>
/// Two chat cores ("nodes" 1 and 2) in this process on one real redis-server (and one shared store file): live
/// delivery, one login per user, chat rooms and the dead-node sweep across them. The nodes' liveness keys
/// (<c>chorus:node:{id}</c>) are written here, as each node's RedisNode keeps them in a real cluster.
/// </summary>
public sealed class RedisChatTests : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    private RedisServer _redis = null!;
    private ConnectionMultiplexer _mux = null!;
    private readonly string _store = Path.Combine(Path.GetTempPath(), "chorus-redischat-" + Guid.NewGuid().ToString("N"));
    private readonly List<ChatCore> _cores = [];
    private readonly List<RedisChat> _chats = [];

    public async ValueTask InitializeAsync()
    {
        _redis = await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var chat in _chats) await chat.DisposeAsync();
        foreach (var core in _cores) await core.DisposeAsync();
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
        try { Directory.Delete(_store, recursive: true); } catch (IOException) { }
    }

    private IDatabase Db => _mux.GetDatabase();

    /// <summary>A node: its own multiplexer (as a process would have), its RedisChat started, its liveness key set.</summary>
    private async Task<(ChatCore Core, RedisChat Chat)> NodeAsync(int id, Action<ChatOptions>? configure = null)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        RedisChat? chat = null;
        var core = new ChatCore(configure, new ChatCoreNode(id, _store, (options, time) =>
        {
            chat = new RedisChat(mux, new Core.NodeIdentity(id), options, time, NullLogger<RedisChat>.Instance);
            return (chat, chat);
        }));
        _cores.Add(core);
        _chats.Add(chat!);
        await Db.StringSetAsync($"chorus:node:{id}", "alive");
        await chat!.StartAsync(TestContext.Current.CancellationToken);
        return (core, chat);
    }

    /// <summary>Waits (bounded) until <paramref name="connection"/> got a frame of <paramref name="op"/> matching <paramref name="match"/>.</summary>
    private static async Task<Frame> ReceivedAsync(FakeConnection connection, string op, Func<Frame, bool>? match = null)
    {
        var until = DateTime.UtcNow + s_deadline;
        while (DateTime.UtcNow < until)
        {
            if (connection.Of(op).FirstOrDefault(f => match?.Invoke(f) ?? true) is { } frame) return frame;
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"no {op} arrived within {s_deadline.TotalSeconds} s; got: {string.Join(", ", connection.Sent.Select(s => s.Frame.Op))}");
    }

    private static Frame RoomText(string roomId, string text, long localId = 0) => new()
    {
        Op = Ops.SendMessage, ConvType = ConversationType.Room, ConvId = roomId,
        Message = new WireChatMessage { Type = ChatMessageType.Text, Text = text, LocalMessageId = localId },
    };

    [Fact]
    public async Task A_peer_message_reaches_its_receiver_on_the_other_node_with_its_conversation_and_unread_count()
    {
        var (a, _) = await NodeAsync(1);
        var (b, _) = await NodeAsync(2);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        Assert.True(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));
        Assert.False(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "carol"));

        var sent = await a.CallAsync(alice, ChatCore.PeerText("bob", "hello across"));
        Assert.Equal(0, sent.ErrorCode);
        var got = await ReceivedAsync(bob, Ops.ChatMessage);
        Assert.Equal(("hello across", "alice", "alice", sent.Message!.MessageId), (got.Message!.Text, got.Message.SenderUserId, got.Message.ConversationId, got.Message.MessageId));
        Assert.Equal("alice", (await ReceivedAsync(bob, Ops.ConversationChanged)).Conversation!.ConversationId);
        Assert.Equal(1, (await ReceivedAsync(bob, Ops.UnreadTotalChanged)).UnreadTotal);
        Assert.Empty(alice.Of(Ops.ChatMessage));
    }

    [Fact]
    public async Task A_group_message_to_several_members_on_one_node_is_one_redis_message_to_that_node()
    {
        var (a, _) = await NodeAsync(1);
        var (b, _) = await NodeAsync(2);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        var carol = await b.LoginAsync("carol");
        var dave = await b.LoginAsync("dave");
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.CreateGroup, ConvId = "g1", Name = "g", Members = ["bob", "carol", "dave"] })).ErrorCode);
        await ReceivedAsync(dave, Ops.GroupMemberChanged);

        // Count what node 2's channel carries for one message to three members there.
        var seen = new List<byte[]>();
        var listener = (await ConnectionMultiplexer.ConnectAsync(_redis.Configuration)).GetSubscriber();
        await listener.SubscribeAsync(RedisChannel.Literal("chorus:chat:node:2"), (_, m) => { lock (seen) seen.Add((byte[])m!); });
        var send = new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Group, ConvId = "g1", Message = new WireChatMessage { Type = ChatMessageType.Text, Text = "to all" } };
        Assert.Equal(0, (await a.CallAsync(alice, send)).ErrorCode);
        foreach (var member in new[] { bob, carol, dave })
        {
            Assert.Equal("to all", (await ReceivedAsync(member, Ops.ChatMessage)).Message!.Text);
            await ReceivedAsync(member, Ops.UnreadTotalChanged);
        }
        await listener.UnsubscribeAllAsync();
        byte[] chatMessage = "\"chatMessage\""u8.ToArray();
        lock (seen)
        {
            // The live message (one item for the three), then the conversation notifications (one message, three users' own frames).
            Assert.Equal(2, seen.Count);
            Assert.Single(seen, m => m.AsSpan().IndexOf(chatMessage) >= 0);
        }
    }

    [Fact]
    public async Task A_login_on_another_node_kicks_the_earlier_one_with_the_same_frame_as_on_one_node()
    {
        var (a, _) = await NodeAsync(1);
        var (b, _) = await NodeAsync(2);
        var alice = await a.LoginAsync("alice");
        var bobOnA = await a.LoginAsync("bob");
        var bobOnB = await b.LoginAsync("bob");

        var kicked = await ReceivedAsync(bobOnA, Ops.ChatKickedOut);
        Assert.Equal((ChatErrorCodes.NotLoggedIn, "the same user logged in elsewhere"), (kicked.ErrorCode, kicked.Error));
        Assert.Null(a.Sessions.Find(bobOnA));
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await a.CallAsync(bobOnA, ChatCore.PeerText("alice", "still me?"))).ErrorCode);
        Assert.True(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));

        Assert.Equal(0, (await a.CallAsync(alice, ChatCore.PeerText("bob", "where are you?"))).ErrorCode);
        Assert.Equal("where are you?", (await ReceivedAsync(bobOnB, Ops.ChatMessage)).Message!.Text);
        Assert.Empty(bobOnA.Of(Ops.ChatMessage));

        // The kicked connection closing later does not log the user out of node 2's login.
        a.Service.OnSessionClosed(bobOnA);
        Assert.True(await b.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));
        Assert.True(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));
    }

    [Fact]
    public async Task A_chat_room_is_shared_members_messages_in_one_order_and_history_across_nodes()
    {
        var (a, _) = await NodeAsync(1);
        var (b, _) = await NodeAsync(2);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        var carol = await b.LoginAsync("carol");
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "lobby", Name = "Lobby" })).ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomExists, (await b.CallAsync(bob, new Frame { Op = Ops.CreateRoom, ConvId = "lobby" })).ErrorCode);
        var entered = await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" });
        Assert.Equal((0, "Lobby", 2), (entered.ErrorCode, entered.Name, entered.Count));
        Assert.Equal(0, (await b.CallAsync(carol, new Frame { Op = Ops.JoinRoom, ConvId = "lobby" })).ErrorCode);
        Assert.Equal(["alice", "bob", "carol"], (await a.CallAsync(alice, new Frame { Op = Ops.QueryRoomMembers, ConvId = "lobby" })).Members!);

        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(0, (await a.CallAsync(alice, RoomText("lobby", $"a{i}"))).ErrorCode);
            Assert.Equal(0, (await b.CallAsync(bob, RoomText("lobby", $"b{i}"))).ErrorCode);
        }
        // Every member sees the room in one order: sequence order, whichever node sent.
        foreach (var (member, others) in new[] { (alice, 3), (bob, 3), (carol, 6) })
        {
            var until = DateTime.UtcNow + s_deadline;
            while (member.Of(Ops.ChatMessage).Count < others && DateTime.UtcNow < until) await Task.Delay(10, TestContext.Current.CancellationToken);
            var seqs = member.Of(Ops.ChatMessage).Select(f => f.Message!.ConversationSeq).ToList();
            Assert.Equal(others, seqs.Count);
            Assert.Equal(seqs.Order(), seqs);
        }
        Assert.Equal(["a1", "b1", "a2", "b2", "a3", "b3"], carol.Of(Ops.ChatMessage).Select(f => f.Message!.Text!));

        var history = await b.CallAsync(carol, new Frame { Op = Ops.QueryHistory, ConvType = ConversationType.Room, ConvId = "lobby", Count = 4 });
        Assert.Equal(["b3", "a3", "b2", "a2"], history.Messages!.Select(m => m.Text!));
        Assert.Equal([6L, 5, 4, 3], history.Messages!.Select(m => m.ConversationSeq));

        // A retried send (same LocalMessageId) from the other node's view of the room is answered with the first copy.
        var first = await a.CallAsync(alice, RoomText("lobby", "once", localId: 77));
        var retry = await a.CallAsync(alice, RoomText("lobby", "once", localId: 77));
        Assert.Equal(first.Message!.ConversationSeq, retry.Message!.ConversationSeq);
        await ReceivedAsync(carol, Ops.ChatMessage, f => f.Message!.Text == "once");
        Assert.Single(carol.Of(Ops.ChatMessage), f => f.Message!.Text == "once");

        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.LeaveRoom, ConvId = "lobby" })).ErrorCode);
        Assert.Equal(["alice", "carol"], (await a.CallAsync(alice, new Frame { Op = Ops.QueryRoomMembers, ConvId = "lobby" })).Members!);
        Assert.Equal(ChatErrorCodes.NotInRoom, (await b.CallAsync(bob, RoomText("lobby", "gone"))).ErrorCode);
    }

    [Fact]
    public async Task The_room_history_keeps_the_last_ChatRoomHistoryCount_messages_younger_than_ChatRoomHistoryAge()
    {
        void Configure(ChatOptions o)
        {
            o.ChatRoomHistoryCount = 3;
            o.ChatRoomHistoryAge = TimeSpan.FromMinutes(10);
        }
        var (a, _) = await NodeAsync(1, Configure);
        var (b, _) = await NodeAsync(2, Configure);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.EnterRoom, ConvId = "r" })).ErrorCode);
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "r" })).ErrorCode);
        Assert.Equal(0, (await a.CallAsync(alice, RoomText("r", "old"))).ErrorCode);
        a.Time.Advance(TimeSpan.FromMinutes(6));
        b.Time.Advance(TimeSpan.FromMinutes(6));
        foreach (var text in new[] { "m1", "m2", "m3" }) Assert.Equal(0, (await a.CallAsync(alice, RoomText("r", text))).ErrorCode);
        var page = await b.CallAsync(bob, new Frame { Op = Ops.QueryHistory, ConvType = ConversationType.Room, ConvId = "r", Count = 10 });
        Assert.Equal(["m3", "m2", "m1"], page.Messages!.Select(m => m.Text!)); // the count: 3, not 4

        a.Time.Advance(TimeSpan.FromMinutes(5));
        b.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, (await a.CallAsync(alice, RoomText("r", "m4"))).ErrorCode);
        b.Time.Advance(TimeSpan.FromMinutes(5)); // m2, m3 (kept: m1 was trimmed by the count) are exactly 10 minutes old: still kept
        page = await b.CallAsync(bob, new Frame { Op = Ops.QueryHistory, ConvType = ConversationType.Room, ConvId = "r", Count = 10, Reverse = true });
        Assert.Equal(["m2", "m3", "m4"], page.Messages!.Select(m => m.Text!));
        b.Time.Advance(TimeSpan.FromMilliseconds(1)); // one millisecond older than the age: gone
        page = await b.CallAsync(bob, new Frame { Op = Ops.QueryHistory, ConvType = ConversationType.Room, ConvId = "r", Count = 10, Reverse = true });
        Assert.Equal(["m4"], page.Messages!.Select(m => m.Text!));
    }

    [Fact]
    public async Task Room_caps_per_app_and_per_user_count_rooms_on_every_node_exactly_at_the_limit()
    {
        void Configure(ChatOptions o)
        {
            o.ChatMaxRoomsPerApp = 3;
            o.ChatMaxRoomsPerUser = 2;
        }
        var (a, _) = await NodeAsync(1, Configure);
        var (b, _) = await NodeAsync(2, Configure);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r1" })).ErrorCode);
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r2" })).ErrorCode); // alice: 2 of 2
        Assert.Equal(ChatErrorCodes.JoinedRoomCountLimit, (await a.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r9" })).ErrorCode);
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.CreateRoom, ConvId = "r3" })).ErrorCode); // app: 3 of 3
        Assert.Equal(ChatErrorCodes.RoomCountLimit, (await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "r4" })).ErrorCode);
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "r1" })).ErrorCode); // an existing room: bob 2 of 2
        Assert.Equal(ChatErrorCodes.JoinedRoomCountLimit, (await b.CallAsync(bob, new Frame { Op = Ops.JoinRoom, ConvId = "r2" })).ErrorCode);
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.LeaveRoom, ConvId = "r3" })).ErrorCode);
        Assert.Equal(ChatErrorCodes.JoinRoomMissing, (await b.CallAsync(bob, new Frame { Op = Ops.JoinRoom, ConvId = "r3" })).ErrorCode); // closed with its last member
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "r4" })).ErrorCode); // a place in the app again
    }

    [Fact]
    public async Task A_member_whose_connection_closed_keeps_its_place_for_the_grace_period_on_every_node()
    {
        void Configure(ChatOptions o) => o.ChatRoomMemberGracePeriod = TimeSpan.FromSeconds(30);
        var (a, chatA) = await NodeAsync(1, Configure);
        var (b, chatB) = await NodeAsync(2, Configure);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);

        b.Service.OnSessionClosed(bob);
        await chatB.FlushAsync();
        Assert.False(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));
        a.Time.Advance(TimeSpan.FromSeconds(29));
        await chatA.SweepAsync();
        Assert.Equal(["alice", "bob"], (await a.CallAsync(alice, new Frame { Op = Ops.QueryRoomMembers, ConvId = "lobby" })).Members!);
        a.Time.Advance(TimeSpan.FromSeconds(1));
        await chatA.SweepAsync();
        Assert.Equal(["alice"], (await a.CallAsync(alice, new Frame { Op = Ops.QueryRoomMembers, ConvId = "lobby" })).Members!);
    }

    [Fact]
    public async Task A_dead_nodes_chat_logins_and_room_memberships_are_removed_by_one_sweep()
    {
        var (a, chatA) = await NodeAsync(1);
        var (b, _) = await NodeAsync(2);
        var alice = await a.LoginAsync("alice");
        var bob = await b.LoginAsync("bob");
        Assert.Equal(0, (await a.CallAsync(alice, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);
        Assert.Equal(0, (await b.CallAsync(bob, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);

        await chatA.SweepAsync(); // node 2 is alive: nothing happens
        Assert.True(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));

        // Node 2 dies without a word: its liveness key expires.
        await Db.KeyDeleteAsync("chorus:node:2");
        await chatA.SweepAsync();
        Assert.False(await a.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));
        Assert.Equal(["alice"], (await a.CallAsync(alice, new Frame { Op = Ops.QueryRoomMembers, ConvId = "lobby" })).Members!);
        Assert.False(await Db.SetContainsAsync("chorus:chat:nodes", 2));
        Assert.True(await Db.KeyExistsAsync("chorus:chat:sweep:2")); // one node swept it; the others see the lock
    }

    [Fact]
    public async Task The_server_API_rate_limit_holds_for_two_nodes_together_exactly_at_the_limit()
    {
        var time = new FakeTimeProvider();
        var one = new RedisServerApiRateLimiter(await ConnectionMultiplexer.ConnectAsync(_redis.Configuration), new Core.NodeIdentity(1), time, NullLogger<RedisServerApiRateLimiter>.Instance);
        var two = new RedisServerApiRateLimiter(await ConnectionMultiplexer.ConnectAsync(_redis.Configuration), new Core.NodeIdentity(2), time, NullLogger<RedisServerApiRateLimiter>.Instance);
        Assert.True(await one.TryAcquireAsync(7, "SendCustomCommand", 3));
        Assert.True(await two.TryAcquireAsync(7, "SendCustomCommand", 3));
        Assert.True(await one.TryAcquireAsync(7, "SendCustomCommand", 3)); // the third of 3 in the second: allowed
        Assert.False(await two.TryAcquireAsync(7, "SendCustomCommand", 3)); // the fourth, on the other node: refused
        Assert.False(await one.TryAcquireAsync(7, "SendCustomCommand", 3));
        Assert.True(await two.TryAcquireAsync(7, "DescribeUsers", 3)); // per action
        Assert.True(await two.TryAcquireAsync(8, "SendCustomCommand", 3)); // per app
    }
}

/// <summary>What <c>AddRedisChat</c> puts in place of the in-process defaults (the same as <c>chorus serve --redis</c> gets through AddRedisBus).</summary>
public sealed class RedisChatWiringTests
{
    [Fact]
    public async Task AddRedisChat_replaces_the_in_process_presence_rooms_and_rate_limits_before_or_after_AddChorusServer()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        // Nothing listens there: the multiplexer connects in the background, and nothing here sends a command.
        await using var mux = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=100");
        foreach (bool chatFirst in new[] { false, true })
        {
            var services = new ServiceCollection();
            services.AddSingleton<IConnectionMultiplexer>(mux);
            if (chatFirst) services.AddRedisChat();
            services.AddLogging();
            services.AddChorusServer(config);
            if (!chatFirst) services.AddRedisChat();

            await using var provider = services.BuildServiceProvider();
            var chat = provider.GetRequiredService<RedisChat>();
            Assert.Same(chat, provider.GetRequiredService<IChatPresence>());
            Assert.Same(chat, provider.GetRequiredService<IChatRoomDirectory>());
            Assert.IsType<RedisServerApiRateLimiter>(provider.GetRequiredService<Chorus.Server.ServerApi.IServerApiRateLimiter>());
            Assert.Contains(services, d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService) && d.ImplementationType == typeof(RedisChatMaintenance));
        }
    }
}
