using System.Text;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

/// <summary>
/// Who may do what in chat: every chat operation against a group, a chat room and a peer conversation, tried by the
/// owner, a member, a user never in it, a former member and a user of another app (with a member's UserId), each with
/// its expected answer. Spoken in raw protocol frames, through the real server.
/// </summary>
public class ChatAuthorizationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int Ok = 0;
    private const int Bad = ChatErrorCodes.BadParameter;
    private const int Denied = ChatErrorCodes.NoPermission;
    private const int NoGroup = ChatErrorCodes.GroupMissing;
    private const int NotIn = ChatErrorCodes.NotInRoom;
    private const int NoRoom = ChatErrorCodes.RoomMissing;

    private enum Who { Owner, Member, Outsider, Former, OtherApp }

    /// <summary>Generous flood limits: the matrix makes hundreds of requests a second on few connections.</summary>
    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var s = new Dictionary<string, string?>
        {
            ["Chorus:ChatSendsPerSecond"] = "100000", ["Chorus:FramesPerConnectionPerSecond"] = "100000", ["Chorus:FramesPerAppPerSecond"] = "100000",
            ["Chorus:SendQueueCapacity"] = "100000", ["Chorus:ChatMaxRoomsPerUser"] = "1000", ["Chorus:ChatGroupCreatesPerUserPerHour"] = "100000",
        };
        foreach (var (k, v) in more) s[k] = v;
        return s;
    }

    /// <summary>One chat login on a raw socket; requests are answered in order.</summary>
    private sealed class Actor(RawSocket socket, string userId) : IAsyncDisposable
    {
        private long _rid;

        public string UserId => userId;

        public static async Task<Actor> LoginAsync(TestServer server, string userId, uint appId = TestServer.AppA)
        {
            var socket = await RawSocket.ConnectAsync(server.Url, appId);
            var actor = new Actor(socket, userId);
            var login = await actor.CallAsync(new Frame { Op = Ops.ChatLogin, UserId = userId, Token = server.Token(userId, appId) });
            Assert.Equal(0, login.ErrorCode);
            return actor;
        }

        public async Task<Frame> CallAsync(Frame request)
        {
            long rid = ++_rid;
            request.Rid = rid;
            await socket.SendTextAsync(Encoding.UTF8.GetString(request.ToUtf8Bytes()));
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{userId} {request.Op}: no result for rid {rid} within 15 s");
                var json = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
                var frame = Frame.TryParse(Encoding.UTF8.GetBytes(json.GetRawText()))!;
                if (frame.Op == Ops.Result && frame.Rid == rid) return frame;
                if (frame.Op != Ops.Result) Pushes.Add(frame);
            }
        }

        /// <summary>The frames the server pushed (not answers) seen so far, in order.</summary>
        public List<Frame> Pushes { get; } = [];

        /// <summary>Waits (15 s at most) for a pushed frame that <paramref name="match"/> accepts; earlier ones count.</summary>
        public async Task<Frame> PushAsync(Func<Frame, bool> match)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                if (Pushes.FirstOrDefault(match) is { } seen) return seen;
                Assert.True(DateTime.UtcNow < deadline, $"{userId}: no matching push within 15 s");
                var json = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
                var frame = Frame.TryParse(Encoding.UTF8.GetBytes(json.GetRawText()))!;
                if (frame.Op != Ops.Result) Pushes.Add(frame);
            }
        }

        /// <summary>Makes a request and waits for its answer, so that every push queued before it has arrived.</summary>
        public Task DrainAsync() => CallAsync(new Frame { Op = Ops.QueryConversations, Count = 1 });

        /// <summary>Calls and asserts success; returns the answer.</summary>
        public async Task<Frame> OkAsync(Frame request)
        {
            var r = await CallAsync(request);
            Assert.True(r.ErrorCode == 0, $"{userId} {request.Op} {request.ConvId}: {r.ErrorCode} {r.Error}");
            return r;
        }

        public ValueTask DisposeAsync() => socket.DisposeAsync();
    }

    private static Frame Text(ConversationType type, string convId, string text, bool receipt = false) => new()
    {
        Op = Ops.SendMessage, ConvType = type, ConvId = convId,
        Message = new WireChatMessage { Type = ChatMessageType.Text, Text = text, HasReceipt = receipt ? true : null, LocalMessageId = Random.Shared.NextInt64(1, long.MaxValue) },
    };

    private static Frame On(string op, ConversationType type, string convId, Action<Frame>? set = null)
    {
        var frame = new Frame { Op = op, ConvType = type, ConvId = convId };
        set?.Invoke(frame);
        return frame;
    }

    /// <summary>A group as every row of the matrix finds it: the owner, a member, a member kicked after sending, and messages before and after the kick.</summary>
    private sealed record GroupFixture(string GroupId, long MemberMessage, long FormerMessage, long AfterKick);

    private static async Task<GroupFixture> NewGroupAsync(Dictionary<Who, Actor> a, string groupId)
    {
        await a[Who.Owner].OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = groupId, Name = "G", Members = ["member", "former"] });
        long m1 = (await a[Who.Member].OkAsync(Text(ConversationType.Group, groupId, "from member", receipt: true))).Message!.MessageId;
        long mf = (await a[Who.Former].OkAsync(Text(ConversationType.Group, groupId, "from former"))).Message!.MessageId;
        await a[Who.Owner].OkAsync(new Frame { Op = Ops.KickGroupMembers, ConvId = groupId, Members = ["former"] });
        long m2 = (await a[Who.Owner].OkAsync(Text(ConversationType.Group, groupId, "after the kick", receipt: true))).Message!.MessageId;
        return new GroupFixture(groupId, m1, mf, m2);
    }

    private static async Task<Dictionary<Who, Actor>> ActorsAsync(TestServer server) => new()
    {
        [Who.Owner] = await Actor.LoginAsync(server, "owner"),
        [Who.Member] = await Actor.LoginAsync(server, "member"),
        [Who.Outsider] = await Actor.LoginAsync(server, "outsider"),
        [Who.Former] = await Actor.LoginAsync(server, "former"),
        [Who.OtherApp] = await Actor.LoginAsync(server, "member", TestServer.AppB), // a member's UserId, in another app
    };

    [Fact]
    public async Task Every_group_operation_checks_membership_as_it_runs()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var a = await ActorsAsync(server);
        const ConversationType G = ConversationType.Group;

        // (operation, request for the actor on a fresh group, expected answer for Owner, Member, Outsider, Former, OtherApp)
        var rows = new (string Name, Func<GroupFixture, Who, Frame> Request, int[] Expected)[]
        {
            ("sendMessage", (f, _) => Text(G, f.GroupId, "hi"), [Ok, Ok, Denied, Denied, NoGroup]),
            ("queryHistory", (f, _) => On(Ops.QueryHistory, G, f.GroupId), [Ok, Ok, Denied, Ok, NoGroup]),
            ("deleteMessages", (f, _) => On(Ops.DeleteMessages, G, f.GroupId, x => { x.MessageIds = [f.MemberMessage]; }), [Ok, Ok, Denied, Ok, NoGroup]),
            ("deleteAllMessages", (f, _) => On(Ops.DeleteAllMessages, G, f.GroupId), [Ok, Ok, Denied, Ok, NoGroup]),
            ("revokeMessage (own, or the member's)", (f, who) => new Frame
            {
                Op = Ops.RevokeMessage,
                MessageIds = [who switch { Who.Owner => f.AfterKick, Who.Former => f.FormerMessage, _ => f.MemberMessage }],
            }, [Ok, Ok, Denied, Denied, ChatErrorCodes.TargetMissing]),
            ("sendReceiptsRead", (f, _) => On(Ops.SendReceiptsRead, G, f.GroupId, x => { x.MessageIds = [f.MemberMessage]; }), [Ok, Ok, Denied, Denied, NoGroup]),
            ("clearUnread", (f, _) => On(Ops.ClearUnread, G, f.GroupId), [Ok, Ok, Denied, Ok, NoGroup]),
            ("deleteConversation", (f, _) => On(Ops.DeleteConversation, G, f.GroupId), [Ok, Ok, Denied, Ok, NoGroup]),
            ("setNotificationStatus", (f, _) => On(Ops.SetNotificationStatus, G, f.GroupId, x => { x.Muted = true; }), [Ok, Ok, Denied, Ok, NoGroup]),
            ("pinConversation", (f, _) => On(Ops.PinConversation, G, f.GroupId, x => { x.Pinned = true; }), [Ok, Ok, Denied, Ok, NoGroup]),
            ("joinGroup", (f, _) => On(Ops.JoinGroup, G, f.GroupId), [Ok, Ok, Ok, Denied, NoGroup]), // the former member was kicked
            ("leaveGroup", (f, _) => On(Ops.LeaveGroup, G, f.GroupId), [Ok, Ok, Denied, Denied, NoGroup]),
            ("dismissGroup", (f, _) => On(Ops.DismissGroup, G, f.GroupId), [Ok, Denied, Denied, Denied, NoGroup]),
            ("inviteGroupMembers", (f, _) => On(Ops.InviteGroupMembers, G, f.GroupId, x => { x.Members = ["newbie"]; }), [Ok, Ok, Denied, Denied, NoGroup]),
            ("kickGroupMembers", (f, _) => On(Ops.KickGroupMembers, G, f.GroupId, x => { x.Members = ["member"]; }), [Ok, Denied, Denied, Denied, NoGroup]),
            ("queryGroupInfo", (f, _) => On(Ops.QueryGroupInfo, G, f.GroupId), [Ok, Ok, Denied, Denied, NoGroup]),
            ("queryGroupMembers", (f, _) => On(Ops.QueryGroupMembers, G, f.GroupId), [Ok, Ok, Denied, Denied, NoGroup]),
            ("createGroup (same ID)", (f, _) => On(Ops.CreateGroup, G, f.GroupId, x => { x.Name = "again"; }), [ChatErrorCodes.GroupExists, ChatErrorCodes.GroupExists, ChatErrorCodes.GroupExists, ChatErrorCodes.GroupExists, Ok]),
        };

        var wrong = new List<string>();
        int n = 0;
        foreach (var (name, request, expected) in rows)
        {
            foreach (var who in Enum.GetValues<Who>())
            {
                var fixture = await NewGroupAsync(a, $"g{++n}");
                var answer = await a[who].CallAsync(request(fixture, who));
                if (answer.ErrorCode != expected[(int)who]) wrong.Add($"{name} by {who}: expected {expected[(int)who]}, got {answer.ErrorCode} ({answer.Error})");
                // whatever a former member is allowed, it never sees what was sent after it left
                if (who == Who.Former && answer.Messages is { } seen) Assert.DoesNotContain(seen, m => m.MessageId == fixture.AfterKick);
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        foreach (var actor in a.Values) await actor.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_conversation_change_leaves_nothing_behind_and_history_stays_closed()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var a = await ActorsAsync(server);
        var f = await NewGroupAsync(a, "team");
        var outsider = a[Who.Outsider];
        foreach (var op in new[] { Ops.PinConversation, Ops.SetNotificationStatus, Ops.ClearUnread, Ops.DeleteAllMessages, Ops.DeleteConversation })
            Assert.Equal(Denied, (await outsider.CallAsync(On(op, ConversationType.Group, "team", x => { x.Pinned = true; x.Muted = true; }))).ErrorCode);
        Assert.Equal(Denied, (await outsider.CallAsync(On(Ops.SendReceiptsRead, ConversationType.Group, "team", x => { x.MessageIds = [f.AfterKick]; }))).ErrorCode);
        Assert.Empty((await outsider.OkAsync(new Frame { Op = Ops.QueryConversations, Count = 100 })).Conversations ?? []);
        await a[Who.Owner].OkAsync(Text(ConversationType.Group, "team", "later"));
        Assert.Equal(Denied, (await outsider.CallAsync(On(Ops.QueryHistory, ConversationType.Group, "team"))).ErrorCode);
        // the refused receipt changed nothing
        var ownerView = (await a[Who.Owner].OkAsync(On(Ops.QueryHistory, ConversationType.Group, "team"))).Messages!;
        Assert.Equal(1, ownerView.Single(m => m.MessageId == f.AfterKick).ReceiptStatus);
        // nor did anything of the other app's user with the member's UserId
        Assert.Empty((await a[Who.OtherApp].OkAsync(new Frame { Op = Ops.QueryConversations, Count = 100 })).Conversations ?? []);
        foreach (var actor in a.Values) await actor.DisposeAsync();
    }

    [Fact]
    public async Task A_former_member_keeps_what_it_saw_gets_nothing_later_and_its_client_catches_up_cleanly()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var owner = await server.ChatAsync("owner");
        var leaver = await server.ChatAsync("leaver");
        var kicked = await server.ChatAsync("kicked");
        var kickedGot = new EventSink<MessagesReceived>();
        kicked.GroupMessageReceived += kickedGot.Handler;
        var leaverGot = new EventSink<MessagesReceived>();
        leaver.GroupMessageReceived += leaverGot.Handler;

        Assert.Equal(0, (await owner.CreateGroupAsync("club", "Club", ["leaver", "kicked"], Ct)).ErrorCode);
        Assert.Equal(0, (await owner.SendMessageAsync(ChatMessage.Text("before"), "club", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        Assert.Equal("before", Assert.Single((await kickedGot.NextAsync()).Messages).Message);
        Assert.Equal("before", Assert.Single((await leaverGot.NextAsync()).Messages).Message);

        Assert.Equal(0, (await owner.KickGroupMembersAsync(["kicked"], "club", Ct)).ErrorCode);
        Assert.Equal(0, (await leaver.LeaveGroupAsync("club", Ct)).ErrorCode);
        for (int i = 1; i <= 3; i++)
            Assert.Equal(0, (await owner.SendMessageAsync(ChatMessage.Text($"after {i}"), "club", ConversationType.Group, cancellationToken: Ct)).ErrorCode);

        foreach (var former in new[] { kicked, leaver })
        {
            var history = await former.QueryHistoryMessageAsync("club", ConversationType.Group, new HistoryQueryConfig { Count = 100 }, Ct);
            Assert.Equal(0, history.ErrorCode);
            Assert.Equal(["before"], history.Messages.Select(m => m.Message));
            // its conversation ends where it left: the unread "before", not the three sent after
            var conversation = Assert.Single((await former.QueryConversationListAsync(cancellationToken: Ct)).Conversations);
            Assert.Equal(("club", "before", 1L), (conversation.ConversationId, conversation.LastMessage?.Message, conversation.UnreadMessageCount));
            Assert.Equal(ChatErrorCodes.NoPermission, (await former.SendMessageAsync(ChatMessage.Text("still here?"), "club", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
            Assert.Equal(ChatErrorCodes.NoPermission, (await former.QueryGroupInfoAsync("club", Ct)).ErrorCode);
        }
        await kickedGot.AssertNoneAsync(TimeSpan.FromMilliseconds(300));
        await leaverGot.AssertNoneAsync(TimeSpan.FromMilliseconds(10));

        // A new login catches up on every conversation it has: the former member's pull gets a clean, empty answer.
        await kicked.DisposeAsync();
        var again = server.NewChat();
        var againGot = new EventSink<MessagesReceived>();
        again.GroupMessageReceived += againGot.Handler;
        Assert.Equal(0, (await again.LoginAsync(new ChatUserInfo("kicked", "kicked"), server.Token("kicked"), Ct)).ErrorCode);
        Assert.Equal(["before"], (await againGot.NextAsync()).Messages.Select(m => m.Message)); // the one it had not read
        await againGot.AssertNoneAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(["before"], (await again.QueryHistoryMessageAsync("club", ConversationType.Group, new HistoryQueryConfig { Count = 100 }, Ct)).Messages.Select(m => m.Message));

        // Dismissal: every member becomes a former member, and the group ID is not taken again (ZIM 6000527).
        Assert.Equal(0, (await owner.DismissGroupAsync("club", Ct)).ErrorCode);
        Assert.Equal(4, (await owner.QueryHistoryMessageAsync("club", ConversationType.Group, new HistoryQueryConfig { Count = 100 }, Ct)).Messages.Count);
        Assert.Equal(ChatErrorCodes.GroupDismissed, (await again.CreateGroupAsync("club", "mine now", [], Ct)).ErrorCode);
        Assert.Equal(["before"], (await again.QueryHistoryMessageAsync("club", ConversationType.Group, new HistoryQueryConfig { Count = 100 }, Ct)).Messages.Select(m => m.Message));

        // A kicked member cannot join again on its own, and its history stays cut at the leave point; a member's invitation
        // brings it back, and it then reads the whole history as any new member does. One who left on its own may rejoin.
        Assert.Equal(0, (await owner.CreateGroupAsync("club2", "Club 2", ["kicked", "leaver"], Ct)).ErrorCode);
        Assert.Equal(0, (await owner.SendMessageAsync(ChatMessage.Text("one"), "club2", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        Assert.Equal(0, (await owner.KickGroupMembersAsync(["kicked"], "club2", Ct)).ErrorCode);
        Assert.Equal(0, (await leaver.LeaveGroupAsync("club2", Ct)).ErrorCode);
        Assert.Equal(0, (await owner.SendMessageAsync(ChatMessage.Text("two"), "club2", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
        var refused = await again.JoinGroupAsync("club2", Ct);
        Assert.Equal((ChatErrorCodes.NoPermission, "removed from this group by its owner; ask a member to invite you"), (refused.ErrorCode, refused.ErrorMessage));
        Assert.Equal(ChatErrorCodes.NoPermission, (await again.JoinGroupAsync("club2", Ct)).ErrorCode); // still, on a retry
        Assert.Equal(["one"], (await again.QueryHistoryMessageAsync("club2", ConversationType.Group, new HistoryQueryConfig { Count = 100 }, Ct)).Messages.Select(m => m.Message));
        Assert.Equal(0, (await leaver.JoinGroupAsync("club2", Ct)).ErrorCode);
        Assert.Equal(0, (await leaver.InviteUsersIntoGroupAsync(["kicked"], "club2", Ct)).ErrorCode);
        Assert.Equal(["one", "two"], (await again.QueryHistoryMessageAsync("club2", ConversationType.Group, new HistoryQueryConfig { Count = 100 }, Ct)).Messages.Select(m => m.Message));
        Assert.Equal(0, (await again.LeaveGroupAsync("club2", Ct)).ErrorCode); // having left on its own now, it may come back alone
        Assert.Equal(0, (await again.JoinGroupAsync("club2", Ct)).ErrorCode);
    }

    [Fact]
    public async Task Every_room_operation_checks_membership_as_it_runs()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var a = await ActorsAsync(server);
        const ConversationType R = ConversationType.Room;

        var rows = new (string Name, Func<string, Frame> Request, int[] Expected)[]
        {
            ("sendMessage", r => Text(R, r, "hi"), [Ok, Ok, NotIn, NotIn, NoRoom]),
            ("queryHistory", r => On(Ops.QueryHistory, R, r), [Ok, Ok, NotIn, NotIn, NoRoom]),
            ("queryRoomMembers", r => On(Ops.QueryRoomMembers, R, r), [Ok, Ok, NotIn, NotIn, NoRoom]),
            ("leaveRoom", r => On(Ops.LeaveRoom, R, r), [Ok, Ok, NotIn, NotIn, NoRoom]),
            ("joinRoom", r => On(Ops.JoinRoom, R, r), [Ok, Ok, Ok, Ok, ChatErrorCodes.JoinRoomMissing]),
            ("createRoom (same ID)", r => On(Ops.CreateRoom, R, r), [ChatErrorCodes.RoomExists, ChatErrorCodes.RoomExists, ChatErrorCodes.RoomExists, ChatErrorCodes.RoomExists, Ok]),
            ("pinConversation (rooms have none)", r => On(Ops.PinConversation, R, r, x => { x.Pinned = true; }), [Bad, Bad, Bad, Bad, Bad]),
            ("deleteAllMessages (rooms have none)", r => On(Ops.DeleteAllMessages, R, r), [Bad, Bad, Bad, Bad, Bad]),
            ("sendReceiptsRead (rooms have none)", r => On(Ops.SendReceiptsRead, R, r, x => { x.MessageIds = [1]; }), [Bad, Bad, Bad, Bad, Bad]),
        };
        var wrong = new List<string>();
        int n = 0;
        foreach (var (name, request, expected) in rows)
        {
            foreach (var who in Enum.GetValues<Who>())
            {
                string room = $"r{++n}";
                await a[Who.Owner].OkAsync(On(Ops.CreateRoom, R, room));
                await a[Who.Member].OkAsync(On(Ops.JoinRoom, R, room));
                await a[Who.Former].OkAsync(On(Ops.JoinRoom, R, room));
                await a[Who.Owner].OkAsync(Text(R, room, "while the former member was in"));
                await a[Who.Former].OkAsync(On(Ops.LeaveRoom, R, room));
                var answer = await a[who].CallAsync(request(room));
                if (answer.ErrorCode != expected[(int)who]) wrong.Add($"{name} by {who}: expected {expected[(int)who]}, got {answer.ErrorCode} ({answer.Error})");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        foreach (var actor in a.Values) await actor.DisposeAsync();
    }

    [Fact]
    public async Task A_peer_conversation_belongs_to_its_two_users_only()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var alice = await Actor.LoginAsync(server, "alice");
        var bob = await Actor.LoginAsync(server, "bob");
        var carol = await Actor.LoginAsync(server, "carol");
        var otherBob = await Actor.LoginAsync(server, "bob", TestServer.AppB);
        const ConversationType P = ConversationType.Peer;
        long id = (await alice.OkAsync(Text(P, "bob", "for bob only", receipt: true))).Message!.MessageId;

        // carol names "bob" (or "alice") and gets her own conversation with that user: empty
        Assert.Empty((await carol.OkAsync(On(Ops.QueryHistory, P, "bob"))).Messages ?? []);
        Assert.Empty((await carol.OkAsync(On(Ops.QueryHistory, P, "alice"))).Messages ?? []);
        Assert.Empty((await otherBob.OkAsync(On(Ops.QueryHistory, P, "alice"))).Messages ?? []);
        // she cannot act on alice's message to bob
        Assert.Empty((await carol.OkAsync(On(Ops.SendReceiptsRead, P, "alice", x => { x.MessageIds = [id]; }))).MessageIds ?? []);
        Assert.Equal(Denied, (await carol.CallAsync(new Frame { Op = Ops.RevokeMessage, MessageIds = [id] })).ErrorCode);
        Assert.Equal(ChatErrorCodes.TargetMissing, (await otherBob.CallAsync(new Frame { Op = Ops.RevokeMessage, MessageIds = [id] })).ErrorCode);
        await carol.OkAsync(On(Ops.DeleteMessages, P, "alice", x => { x.MessageIds = [id]; }));
        var bobView = Assert.Single((await bob.OkAsync(On(Ops.QueryHistory, P, "alice"))).Messages!);
        Assert.Equal((id, 1), (bobView.MessageId, bobView.ReceiptStatus)); // still there, still unread
        Assert.Empty((await otherBob.OkAsync(new Frame { Op = Ops.QueryConversations, Count = 100 })).Conversations ?? []);
        Assert.Equal(1, Assert.Single((await bob.OkAsync(new Frame { Op = Ops.QueryConversations, Count = 100 })).Conversations!).UnreadMessageCount);
        foreach (var actor in new[] { alice, bob, carol, otherBob }) await actor.DisposeAsync();
    }

    [Fact]
    public async Task Creation_caps_hold_at_the_boundary()
    {
        await using var server = await TestServer.StartAsync(Settings(
            ("Chorus:ChatMaxGroupsPerUser", "3"), ("Chorus:ChatMaxRoomsPerUser", "2"), ("Chorus:ChatMaxRoomsPerApp", "4")));
        var u1 = await Actor.LoginAsync(server, "u1");
        var u2 = await Actor.LoginAsync(server, "u2");
        var u3 = await Actor.LoginAsync(server, "u3");
        var elsewhere = await Actor.LoginAsync(server, "u1", TestServer.AppB);
        const ConversationType R = ConversationType.Room;

        // groups one user owns: 3 pass, the 4th is refused; a dismissal frees a place; others are not affected
        for (int i = 1; i <= 3; i++) await u1.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = $"g{i}", Name = "G" });
        var fourth = await u1.CallAsync(new Frame { Op = Ops.CreateGroup, ConvId = "g4", Name = "G" });
        Assert.Equal(ChatErrorCodes.GroupCreateFailed, fourth.ErrorCode);
        Assert.Equal(ChatErrorCodes.GroupMissing, (await u1.CallAsync(On(Ops.JoinGroup, ConversationType.Group, "g4"))).ErrorCode); // nothing was made
        await u2.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "g4", Name = "G", Members = ["u1"] }); // being a member is not owning
        await elsewhere.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "g5", Name = "G" });
        await u1.OkAsync(On(Ops.DismissGroup, ConversationType.Group, "g1"));
        await u1.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "g6", Name = "G" });

        // rooms one user is in: 2 pass, a 3rd (create, enter or join) is refused; being in one already is no new room
        await u1.OkAsync(On(Ops.CreateRoom, R, "r1"));
        await u1.OkAsync(On(Ops.EnterRoom, R, "r2"));
        await u2.OkAsync(On(Ops.CreateRoom, R, "r3"));
        Assert.Equal(ChatErrorCodes.JoinedRoomCountLimit, (await u1.CallAsync(On(Ops.CreateRoom, R, "r4"))).ErrorCode);
        Assert.Equal(ChatErrorCodes.JoinedRoomCountLimit, (await u1.CallAsync(On(Ops.EnterRoom, R, "r4"))).ErrorCode);
        Assert.Equal(ChatErrorCodes.JoinedRoomCountLimit, (await u1.CallAsync(On(Ops.JoinRoom, R, "r3"))).ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomMissing, (await u1.CallAsync(On(Ops.QueryRoomMembers, R, "r4"))).ErrorCode); // a refused create leaves no room
        await u1.OkAsync(On(Ops.EnterRoom, R, "r1"));
        await u1.OkAsync(On(Ops.LeaveRoom, R, "r1")); // r1 empties and closes
        await u1.OkAsync(On(Ops.JoinRoom, R, "r3"));

        // rooms of one app: r2, r3 and two more make 4; a 5th is refused until one closes; another app is not affected
        await u2.OkAsync(On(Ops.CreateRoom, R, "a"));
        await u3.OkAsync(On(Ops.CreateRoom, R, "b"));
        Assert.Equal(ChatErrorCodes.RoomCountLimit, (await u3.CallAsync(On(Ops.CreateRoom, R, "c"))).ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomCountLimit, (await u3.CallAsync(On(Ops.EnterRoom, R, "c"))).ErrorCode);
        await u3.OkAsync(On(Ops.EnterRoom, R, "a")); // an existing room is no new room
        await elsewhere.OkAsync(On(Ops.CreateRoom, R, "c"));
        await u3.OkAsync(On(Ops.LeaveRoom, R, "b"));
        await u3.OkAsync(On(Ops.CreateRoom, R, "c"));
        foreach (var actor in new[] { u1, u2, u3, elsewhere }) await actor.DisposeAsync();
    }

    [Fact]
    public async Task A_second_login_takes_over_the_room_memberships_and_the_first_gets_nothing_more()
    {
        await using var server = await TestServer.StartAsync(Settings(("Chorus:ChatRoomMemberGracePeriod", "00:00:01")));
        const ConversationType R = ConversationType.Room;
        var a1 = await Actor.LoginAsync(server, "alice");
        var bob = await Actor.LoginAsync(server, "bob");
        await a1.OkAsync(On(Ops.EnterRoom, R, "r1"));
        await bob.OkAsync(On(Ops.EnterRoom, R, "r1"));
        var a2 = await Actor.LoginAsync(server, "alice"); // kicks a1 out of chat
        await bob.OkAsync(Text(R, "r1", "after the second login"));

        // the new login gets the room message; the kicked connection got the kick and nothing after it
        Assert.Equal("after the second login", (await a2.PushAsync(f => f.Op == Ops.ChatMessage)).Message!.Text);
        await a1.DrainAsync();
        Assert.Contains(a1.Pushes, f => f.Op == Ops.ChatKickedOut);
        Assert.DoesNotContain(a1.Pushes, f => f.Op == Ops.ChatMessage);

        // the old connection closing takes nothing away: past the grace period alice is still in r1 and gets its messages
        await a1.DisposeAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct); // grace 1 s, maintenance every 0.5 s
        Assert.Equal(["alice", "bob"], (await bob.OkAsync(On(Ops.QueryRoomMembers, R, "r1"))).Members!);
        await bob.OkAsync(Text(R, "r1", "still there"));
        Assert.NotNull(await a2.PushAsync(f => f.Op == Ops.ChatMessage && f.Message!.Text == "still there"));

        // the new connection closing does remove her once the grace period is over
        await a2.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await bob.OkAsync(On(Ops.QueryRoomMembers, R, "r1"))).Members!.Contains("alice"))
        {
            Assert.True(DateTime.UtcNow < deadline, "alice was not removed from r1 within 15 s of her connection closing");
            await Task.Delay(200, Ct);
        }
        await bob.DisposeAsync();
    }

    [Fact]
    public async Task Group_creations_per_user_per_hour_count_dismissed_groups_and_an_unused_dismissed_group_leaves_nothing()
    {
        await using var server = await TestServer.StartAsync(Settings(("Chorus:ChatGroupCreatesPerUserPerHour", "3")));
        var churner = await Actor.LoginAsync(server, "churner");
        var victim = await Actor.LoginAsync(server, "victim");
        var elsewhere = await Actor.LoginAsync(server, "churner", TestServer.AppB);
        const ConversationType G = ConversationType.Group;

        // three creations pass though each group is dismissed at once; the fourth within the hour is refused (ZIM's 6000005)
        for (int i = 1; i <= 2; i++)
        {
            await churner.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = $"c{i}", Name = "G", Members = ["victim"] });
            await churner.OkAsync(On(Ops.DismissGroup, G, $"c{i}"));
        }
        await churner.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "c3", Name = "G", Members = ["victim"] });
        await churner.OkAsync(Text(G, "c3", "something to read"));
        await churner.OkAsync(On(Ops.DismissGroup, G, "c3"));
        var fourth = await churner.CallAsync(new Frame { Op = Ops.CreateGroup, ConvId = "c4", Name = "G", Members = ["victim"] });
        Assert.Equal((ChatErrorCodes.RateLimitServer, "this user created as many groups in the last hour as allowed (dismissed ones count); try again later"),
            (fourth.ErrorCode, fourth.Error));
        Assert.Equal(ChatErrorCodes.GroupMissing, (await victim.CallAsync(On(Ops.JoinGroup, G, "c4"))).ErrorCode); // nothing was made
        await victim.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "c4", Name = "G" }); // another user is not affected
        await elsewhere.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "c5", Name = "G" }); // nor the same UserId in another app

        // the victim keeps the conversation of the dismissed group it can read, and none of the two where nothing was sent
        var list = (await victim.OkAsync(new Frame { Op = Ops.QueryConversations, Count = 100 })).Conversations ?? [];
        Assert.Equal(["c3", "c4"], list.Select(c => c.ConversationId).Order(StringComparer.Ordinal));
        Assert.DoesNotContain((await churner.OkAsync(new Frame { Op = Ops.QueryConversations, Count = 100 })).Conversations ?? [], c => c.ConversationId != "c3");
        foreach (var actor in new[] { churner, victim, elsewhere }) await actor.DisposeAsync();
    }

    [Fact]
    public async Task Kicking_tells_only_the_users_actually_removed_and_naming_non_members_changes_nothing()
    {
        await using var server = await TestServer.StartAsync(Settings());
        var owner = await Actor.LoginAsync(server, "owner");
        var member = await Actor.LoginAsync(server, "member");
        var outsider = await Actor.LoginAsync(server, "outsider");
        await owner.OkAsync(new Frame { Op = Ops.CreateGroup, ConvId = "g", Name = "G", Members = ["member"] });

        await owner.OkAsync(new Frame { Op = Ops.KickGroupMembers, ConvId = "g", Members = ["outsider", "nobody"] }); // no one removed: no event
        await owner.OkAsync(new Frame { Op = Ops.KickGroupMembers, ConvId = "g", Members = ["member", "outsider"] });
        foreach (var actor in new[] { owner, member, outsider }) await actor.DrainAsync();

        static string[][] Deletes(Actor a) => [.. a.Pushes.Where(f => f.Op == Ops.GroupMemberChanged && f.UpdateType == "delete").Select(f => f.Members!)];
        Assert.Equal([["member"]], Deletes(owner));
        Assert.Equal([["member"]], Deletes(member));
        Assert.DoesNotContain(outsider.Pushes, f => f.Op == Ops.GroupMemberChanged);
        Assert.Equal(["owner"], (await owner.OkAsync(On(Ops.QueryGroupMembers, ConversationType.Group, "g"))).Members!);
        foreach (var actor in new[] { owner, member, outsider }) await actor.DisposeAsync();
    }
}
