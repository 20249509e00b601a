using System.Text.Json;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests.JsClient;

/// <summary>
/// Protocol conformance of the TypeScript client (clients/js): the same scripted exchange (room login, custom command,
/// broadcast, chat peer send with its acknowledgment, history, conversation list, unread clear, a group and a chat
/// room message, a read receipt, and refusals with their codes) runs against a real server through the TypeScript client (clients/js/conformance/run.mjs, in node) and
/// through the C# SDK (below), and the two transcripts must be equal line for line, and equal to the expected one.
/// </summary>
[Collection(JsClientCollection.Name)]
public sealed class ConformanceTests
{
    private const string Room = "conformance-room";
    private const long TwoTo53 = 1L << 53;

    /// <summary>What both clients must see. Values that differ between runs are written as the properties the protocol promises.</summary>
    private static readonly string[] s_expected =
    [
        "room.login alice ok",
        "room.login bob ok",
        "alice roomUserUpdate ADD bob/Bob",
        "alice customCommand ok",
        "bob IMRecvCustomCommand room=conformance-room from=alice/Alice command=hello bob",
        "bob broadcast ok idAbove2^53=true",
        "alice IMRecvBroadcastMessage room=conformance-room from=bob message=hi room sameIdAsSender=true",
        "room.login carol badToken refused code=1002033",
        "alice customCommand 1025 bytes refused code=1009002",
        "bob customCommand other room refused code=1009005",
        "chat.login alice ok",
        "chat.login bob ok",
        "alice sendMessage ok seq=1 idAbove2^53=true attachedFirst=true",
        "bob peerMessageReceived from=alice sender=alice text=hello bob seq=1 sameIdAsAck=true offline=false",
        "bob history [seq=1 sender=alice text=hello bob sameIdAsAck=true]",
        "bob conversations [alice type=0 unread=1]",
        "bob clearUnread ok",
        "bob unreadTotal=0",
        "bob conversations [alice type=0 unread=0]",
        "alice createGroup ok id=conf-group name=Conf owner=alice members=2",
        "alice sendMessage group ok seq=1",
        "bob groupMessageReceived from=conf-group sender=alice text=hello group seq=1 sameIdAsAck=true",
        "bob groupMembers alice,bob",
        "alice enterRoom ok count=1",
        "bob enterRoom ok count=2",
        "bob sendMessage room ok",
        "alice roomMessageReceived from=conf-chat-room sender=bob text=hello room",
        "bob peerMessageReceived text=read me seq=2 receiptStatus=1",
        "bob sendMessageReceiptsRead ok",
        "alice messageReceiptChanged conversation=bob reader=bob sameIdAsSent=true",
        "bob revoke alice's message refused code=6000541",
        "chat.login carol badToken refused code=6000103",
        "alice sendMessage to bad group id refused code=6000001",
        "end",
    ];

    [Fact]
    public async Task The_TypeScript_client_and_the_CSharp_SDK_give_the_same_transcript_against_the_real_server()
    {
        await JsPackage.EnsureBuiltAsync();

        List<string> typescript;
        await using (var server = await TestServer.StartAsync())
        {
            string config = JsonSerializer.Serialize(new
            {
                server = server.Url.ToString(),
                appId = TestServer.AppA,
                tokens = new { alice = server.Token("alice"), bob = server.Token("bob") },
            });
            var run = await JsPackage.RunAsync(JsPackage.Node, ["conformance/run.mjs", config], JsPackage.Directory, TimeSpan.FromSeconds(90));
            typescript = Transcript(run.Stdout);
            Assert.True(run.ExitCode == 0, $"the conformance script failed (exit {run.ExitCode}):\n{run.Output}");
        }

        List<string> csharp;
        await using (var server = await TestServer.StartAsync())
            csharp = await RunCSharpAsync(server);

        Assert.True(s_expected.SequenceEqual(csharp), "C# SDK transcript differs from the expected one:\n" + Diff(s_expected, csharp));
        Assert.True(csharp.SequenceEqual(typescript), "TypeScript transcript differs from the C# SDK's:\n" + Diff(csharp, typescript));
    }

    private static List<string> Transcript(string stdout) =>
        [.. stdout.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("T ", StringComparison.Ordinal)).Select(l => l[2..])];

    private static string Diff(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var lines = new List<string>();
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            string e = i < expected.Count ? expected[i] : "(none)";
            string a = i < actual.Count ? actual[i] : "(none)";
            lines.Add((e == a ? "  " : "≠ ") + e + (e == a ? "" : "   |   " + a));
        }
        return string.Join('\n', lines);
    }

    /// <summary>The same exchange as clients/js/conformance/run.mjs, through the C# SDK.</summary>
    private static async Task<List<string>> RunCSharpAsync(TestServer server)
    {
        var t = new List<string>();
        var ct = TestContext.Current.CancellationToken;

        var alice = server.NewClient();
        var bob = server.NewClient();
        var carol = server.NewClient();
        var aliceUsers = new EventSink<RoomUserUpdated>();
        var bobCommands = new EventSink<CustomCommandReceived>();
        var aliceBroadcasts = new EventSink<BroadcastMessagesReceived>();
        alice.RoomUserUpdated += aliceUsers.Handler;
        bob.CustomCommandReceived += bobCommands.Handler;
        alice.BroadcastMessageReceived += aliceBroadcasts.Handler;

        Ok((await alice.LoginRoomAsync(Room, new RoomUser("alice", "Alice"), new RoomConfig { Token = server.Token("alice") }, ct)).ErrorCode);
        t.Add("room.login alice ok");
        Ok((await bob.LoginRoomAsync(Room, new RoomUser("bob", "Bob"), new RoomConfig { Token = server.Token("bob") }, ct)).ErrorCode);
        t.Add("room.login bob ok");
        var added = await aliceUsers.NextAsync(u => u.Users.Any(x => x.UserId == "bob"));
        t.Add($"alice roomUserUpdate {(added.UpdateType == RoomUpdateType.Add ? "ADD" : "DELETE")} {string.Join(',', added.Users.Select(u => $"{u.UserId}/{u.UserName}"))}");

        Ok((await alice.SendCustomCommandAsync(Room, "hello bob", [new RoomUser("bob")], ct)).ErrorCode);
        t.Add("alice customCommand ok");
        var command = await bobCommands.NextAsync();
        t.Add($"bob IMRecvCustomCommand room={command.RoomId} from={command.FromUser.UserId}/{command.FromUser.UserName} command={command.Command}");

        var broadcast = await bob.SendBroadcastMessageAsync(Room, "hi room", ct);
        Ok(broadcast.ErrorCode);
        t.Add($"bob broadcast ok idAbove2^53={Bool(broadcast.MessageId > TwoTo53)}");
        var received = await aliceBroadcasts.NextAsync();
        t.Add($"alice IMRecvBroadcastMessage room={received.RoomId} from={received.Messages[0].FromUser.UserId} message={received.Messages[0].Message} sameIdAsSender={Bool(received.Messages[0].MessageId == broadcast.MessageId)}");

        t.Add($"room.login carol badToken refused code={(await carol.LoginRoomAsync(Room, new RoomUser("carol"), new RoomConfig { Token = "not-a-token" }, ct)).ErrorCode}");
        t.Add($"alice customCommand 1025 bytes refused code={(await alice.SendCustomCommandAsync(Room, new string('x', 1025), null, ct)).ErrorCode}");
        t.Add($"bob customCommand other room refused code={(await bob.SendCustomCommandAsync("another-room", "x", null, ct)).ErrorCode}");

        var zimAlice = server.NewChat();
        var zimBob = server.NewChat();
        var zimCarol = server.NewChat();
        var bobPeer = new EventSink<MessagesReceived>();
        var bobUnread = new EventSink<long>();
        zimBob.PeerMessageReceived += bobPeer.Handler;
        zimBob.ConversationTotalUnreadMessageCountUpdated += bobUnread.Handler;

        Ok((await zimAlice.LoginAsync(new ChatUserInfo("alice", "Alice"), server.Token("alice"), ct)).ErrorCode);
        t.Add("chat.login alice ok");
        Ok((await zimBob.LoginAsync(new ChatUserInfo("bob", "Bob"), server.Token("bob"), ct)).ErrorCode);
        t.Add("chat.login bob ok");

        long attached = 0;
        var sent = await zimAlice.SendMessageAsync(ChatMessage.Text("hello bob"), "bob", ConversationType.Peer, null,
            new MessageSendNotification { OnMessageAttached = m => attached = m.LocalMessageId }, ct);
        Ok(sent.ErrorCode);
        var ack = sent.Message;
        t.Add($"alice sendMessage ok seq={ack.ConversationSeq} idAbove2^53={Bool(ack.MessageId > TwoTo53)} attachedFirst={Bool(attached == ack.LocalMessageId)}");
        var peer = await bobPeer.NextAsync();
        var got = peer.Messages[0];
        t.Add($"bob peerMessageReceived from={peer.ConversationId} sender={got.SenderUserId} text={got.Message} seq={got.ConversationSeq} sameIdAsAck={Bool(got.MessageId == ack.MessageId)} offline={Bool(got.IsOfflineMessage)}");

        var history = await zimBob.QueryHistoryMessageAsync("alice", ConversationType.Peer, new HistoryQueryConfig { Count = 10, Reverse = true }, ct);
        Ok(history.ErrorCode);
        t.Add("bob history " + string.Join(' ', history.Messages.Select(m => $"[seq={m.ConversationSeq} sender={m.SenderUserId} text={m.Message} sameIdAsAck={Bool(m.MessageId == ack.MessageId)}]")));

        t.Add("bob conversations " + await ConversationsAsync(zimBob, ct));
        Ok((await zimBob.ClearConversationUnreadMessageCountAsync("alice", ConversationType.Peer, ct)).ErrorCode);
        t.Add("bob clearUnread ok");
        t.Add($"bob unreadTotal={await bobUnread.NextAsync(n => n == 0)}");
        t.Add("bob conversations " + await ConversationsAsync(zimBob, ct));

        var bobGroup = new EventSink<MessagesReceived>();
        var aliceRoom = new EventSink<MessagesReceived>();
        var aliceReceipts = new EventSink<MessageReceiptChanged>();
        zimBob.GroupMessageReceived += bobGroup.Handler;
        zimAlice.RoomMessageReceived += aliceRoom.Handler;
        zimAlice.MessageReceiptChanged += aliceReceipts.Handler;

        var group = await zimAlice.CreateGroupAsync("conf-group", "Conf", ["bob"], ct);
        Ok(group.ErrorCode);
        t.Add($"alice createGroup ok id={group.Group!.GroupId} name={group.Group.GroupName} owner={group.Group.OwnerUserId} members={group.Group.MemberCount}");
        var groupSent = await zimAlice.SendMessageAsync(ChatMessage.Text("hello group"), "conf-group", ConversationType.Group, cancellationToken: ct);
        Ok(groupSent.ErrorCode);
        t.Add($"alice sendMessage group ok seq={groupSent.Message.ConversationSeq}");
        var groupReceived = await bobGroup.NextAsync();
        var g = groupReceived.Messages[0];
        t.Add($"bob groupMessageReceived from={groupReceived.ConversationId} sender={g.SenderUserId} text={g.Message} seq={g.ConversationSeq} sameIdAsAck={Bool(g.MessageId == groupSent.Message.MessageId)}");
        var members = await zimBob.QueryGroupMemberListAsync("conf-group", ct);
        Ok(members.ErrorCode);
        t.Add($"bob groupMembers {string.Join(',', members.UserIds.Order(StringComparer.Ordinal))}");

        var aliceEntered = await zimAlice.EnterRoomAsync("conf-chat-room", "Chat", ct);
        Ok(aliceEntered.ErrorCode);
        t.Add($"alice enterRoom ok count={aliceEntered.MemberCount}");
        var bobEntered = await zimBob.EnterRoomAsync("conf-chat-room", "Chat", ct);
        Ok(bobEntered.ErrorCode);
        t.Add($"bob enterRoom ok count={bobEntered.MemberCount}");
        Ok((await zimBob.SendMessageAsync(ChatMessage.Text("hello room"), "conf-chat-room", ConversationType.Room, cancellationToken: ct)).ErrorCode);
        t.Add("bob sendMessage room ok");
        var roomReceived = await aliceRoom.NextAsync();
        t.Add($"alice roomMessageReceived from={roomReceived.ConversationId} sender={roomReceived.Messages[0].SenderUserId} text={roomReceived.Messages[0].Message}");

        var receiptSent = await zimAlice.SendMessageAsync(ChatMessage.Text("read me"), "bob", ConversationType.Peer, new MessageSendConfig { HasReceipt = true }, cancellationToken: ct);
        Ok(receiptSent.ErrorCode);
        var readMe = await bobPeer.NextAsync(m => m.Messages[0].Message == "read me");
        t.Add($"bob peerMessageReceived text={readMe.Messages[0].Message} seq={readMe.Messages[0].ConversationSeq} receiptStatus={readMe.Messages[0].ReceiptStatus}");
        Ok((await zimBob.SendMessageReceiptsReadAsync(readMe.Messages, "alice", ConversationType.Peer, ct)).ErrorCode);
        t.Add("bob sendMessageReceiptsRead ok");
        var receipts = await aliceReceipts.NextAsync();
        t.Add($"alice messageReceiptChanged conversation={receipts.ConversationId} reader={receipts.ReaderUserId} sameIdAsSent={Bool(receipts.MessageIds[0] == receiptSent.Message.MessageId)}");

        t.Add($"bob revoke alice's message refused code={(await zimBob.RevokeMessageAsync(ack.MessageId, ct)).ErrorCode}");
        t.Add($"chat.login carol badToken refused code={(await zimCarol.LoginAsync(new ChatUserInfo("carol"), "not-a-token", ct)).ErrorCode}");
        t.Add($"alice sendMessage to bad group id refused code={(await zimAlice.SendMessageAsync(ChatMessage.Text("x"), new string('g', 33), ConversationType.Group, cancellationToken: ct)).ErrorCode}");
        t.Add("end");
        return t;
    }

    private static async Task<string> ConversationsAsync(ChorusChatClient client, CancellationToken ct)
    {
        var list = await client.QueryConversationListAsync(10, ct);
        Ok(list.ErrorCode);
        return string.Join(' ', list.Conversations.Select(c => $"[{c.ConversationId} type={(int)c.ConversationType} unread={c.UnreadMessageCount}]"));
    }

    private static void Ok(int errorCode) => Assert.Equal(0, errorCode);

    private static string Bool(bool value) => value ? "true" : "false";
}
