using System.Text.Json;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.ServerApi;

namespace Chorus.IntegrationTests;

public class ChatServerApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static int Code(JsonElement e) => e.GetProperty("Code").GetInt32();

    [Fact]
    public async Task SendPeerMessage_reports_successes_and_errors_per_recipient()
    {
        await using var server = await TestServer.StartAsync();
        var bob = await server.ChatAsync("bob");
        var got = new EventSink<MessagesReceived>();
        bob.PeerMessageReceived += got.Handler;

        var r = await server.CallPostAsync("SendPeerMessage", """
            {"FromUserId":"system","ToUserId":["bob","carol","system"],"MessageType":1,"Priority":1,"MessageBody":{"Message":"welcome","ExtendedData":"x"}}
            """);
        Assert.Equal(0, Code(r));
        var succ = r.GetProperty("SuccList").EnumerateArray().ToArray();
        Assert.Equal(["bob", "carol"], succ.Select(s => s.GetProperty("UserId").GetString()));
        Assert.All(succ, s => Assert.Equal(1, s.GetProperty("MsgSeq").GetInt64()));
        var error = Assert.Single(r.GetProperty("ErrorList").EnumerateArray());
        Assert.Equal(("system", ChatServerApi.BadParameter), (error.GetProperty("UserId").GetString(), error.GetProperty("SubCode").GetInt32())); // not to the sender
        var m = Assert.Single((await got.NextAsync()).Messages);
        Assert.Equal(("welcome", "system", "x"), (m.Message, m.ConversationId, m.ExtendedData));
        Assert.Equal(succ[0].GetProperty("MsgId").GetString(), m.MessageId.ToString());

        var tooMany = "[" + string.Join(",", Enumerable.Range(0, 101).Select(i => $"\"u{i}\"")) + "]";
        Assert.Equal(ChatServerApi.TooManyUsers, Code(await server.CallPostAsync("SendPeerMessage", $$$"""{"FromUserId":"s","ToUserId":{{{tooMany}}},"MessageBody":{"Message":"x"}}""")));
        Assert.Equal(ChatServerApi.MessageTooBig, Code(await server.CallPostAsync("SendPeerMessage", $$$"""{"FromUserId":"s","ToUserId":["bob"],"MessageBody":{"Message":"{{{new string('x', 2049)}}}"}}""")));
        Assert.Equal(ChatServerApi.BadParameter, Code(await server.CallPostAsync("SendPeerMessage", """{"FromUserId":"s","ToUserId":["bob"],"MessageBody":{}}""")));
        Assert.Equal(ChatServerApi.BadParameter, Code(await server.CallPostAsync("SendPeerMessage", """{"ToUserId":["bob"],"MessageBody":{"Message":"x"}}""")));
    }

    [Fact]
    public async Task SendGroupMessage_and_SendRoomMessage_reach_members()
    {
        await using var server = await TestServer.StartAsync();
        var owner = await server.ChatAsync("owner");
        Assert.Equal(0, (await owner.CreateGroupAsync("team", "Team", [], Ct)).ErrorCode);
        Assert.Equal(0, (await owner.EnterRoomAsync("hall", "Hall", Ct)).ErrorCode);
        var groupGot = new EventSink<MessagesReceived>();
        var roomGot = new EventSink<MessagesReceived>();
        owner.GroupMessageReceived += groupGot.Handler;
        owner.RoomMessageReceived += roomGot.Handler;

        var g = await server.CallPostAsync("SendGroupMessage", """{"FromUserId":"bot","GroupId":"team","MessageType":1,"MessageBody":{"Message":"standup"}}""");
        Assert.Equal(0, Code(g));
        Assert.Equal(1, g.GetProperty("MsgSeq").GetInt64());
        Assert.Equal("standup", Assert.Single((await groupGot.NextAsync()).Messages).Message);
        Assert.Equal(ChatServerApi.GroupMissing, Code(await server.CallPostAsync("SendGroupMessage", """{"FromUserId":"bot","GroupId":"nope","MessageBody":{"Message":"x"}}""")));

        var rm = await server.CallPostAsync("SendRoomMessage", """{"FromUserId":"bot","RoomId":"hall","MessageType":200,"SubMsgType":7,"MessageBody":{"Message":"aGVsbG8=","IsBase64":1}}""");
        Assert.Equal(0, Code(rm));
        var roomMessage = Assert.Single((await roomGot.NextAsync()).Messages);
        Assert.Equal(("hello", ChatMessageType.Custom, 7), (roomMessage.Message, roomMessage.Type, roomMessage.SubType));
        Assert.Equal(ChatServerApi.RoomMissing, Code(await server.CallPostAsync("SendRoomMessage", """{"FromUserId":"bot","RoomId":"gone","MessageBody":{"Message":"x"}}""")));
        Assert.Equal(ChatServerApi.RoomNoReceipts, Code(await server.CallPostAsync("SendRoomMessage", """{"FromUserId":"bot","RoomId":"hall","MessageBody":{"Message":"x","HasReceipt":true}}""")));
    }

    [Fact]
    public async Task A_retried_LocalMessageId_is_stored_once_across_a_server_restart()
    {
        // The restarted server is another process (string hashes, for one, differ between processes), on the same data directory.
        string data = TestServer.NewDataDirectory();
        const string Peer = """{"FromUserId":"system","ToUserId":["bob","carol"],"LocalMessageId":"4242","MessageBody":{"Message":"once"}}""";
        const string Group = """{"FromUserId":"bot","GroupId":"team","LocalMessageId":"4242","MessageBody":{"Message":"once"}}""";
        try
        {
            string[] firstPeer;
            string firstGroup;
            var first = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:DataDirectory"] = data });
            try
            {
                var owner = await first.ChatAsync("owner");
                Assert.Equal(0, (await owner.CreateGroupAsync("team", "Team", [], Ct)).ErrorCode);
                var p = await first.CallPostAsync("SendPeerMessage", Peer);
                Assert.Equal(0, Code(p));
                firstPeer = [.. p.GetProperty("SuccList").EnumerateArray().Select(e => e.GetProperty("MsgId").GetString()!)];
                Assert.Equal(2, firstPeer.Distinct().Count());
                var g = await first.CallPostAsync("SendGroupMessage", Group);
                Assert.Equal(0, Code(g));
                firstGroup = g.GetProperty("MsgId").GetString()!;
                Assert.Equal(firstGroup, (await first.CallPostAsync("SendGroupMessage", Group)).GetProperty("MsgId").GetString()); // a retry in the same process
                await owner.DisposeAsync();
            }
            finally
            {
                await first.App.StopAsync(CancellationToken.None); // (not DisposeAsync: that removes the data directory)
                await first.App.DisposeAsync();
            }

            await using var restarted = CliProcess.Start("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}");
            var url = new Uri((await restarted.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..]);
            var again = await PostAsync(url, "SendPeerMessage", Peer);
            Assert.Equal(0, Code(again));
            Assert.Equal(firstPeer, again.GetProperty("SuccList").EnumerateArray().Select(e => e.GetProperty("MsgId").GetString()!));
            Assert.All(again.GetProperty("SuccList").EnumerateArray(), e => Assert.Equal(1, e.GetProperty("MsgSeq").GetInt64()));
            var groupAgain = await PostAsync(url, "SendGroupMessage", Group);
            Assert.Equal((firstGroup, 1L), (groupAgain.GetProperty("MsgId").GetString(), groupAgain.GetProperty("MsgSeq").GetInt64()));

            await using var bob = new ChorusChatClient(new ChorusClientOptions { ServerUrl = url, AppId = TestServer.AppA });
            Assert.Equal(0, (await bob.LoginAsync(new ChatUserInfo("bob"), Token04.Generate(TestServer.AppA, "bob", TestServer.SecretA, 600), Ct)).ErrorCode);
            Assert.Equal(["once"], (await bob.QueryHistoryMessageAsync("system", ConversationType.Peer, new HistoryQueryConfig { Count = 100 }, Ct)).Messages.Select(m => m.Message));
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<JsonElement> PostAsync(Uri server, string action, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var path = "/?Action=" + action + "&" + ServerApiSignature.BuildCommonQuery(TestServer.AppA, TestServer.SecretA, DateTimeOffset.UtcNow);
        using var response = await s_http.PostAsync(new Uri(server, path), content, Ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    [Fact]
    public async Task The_same_LocalMessageId_sent_to_two_conversations_is_delivered_to_both()
    {
        await using var server = await TestServer.StartAsync();
        var member = await server.ChatAsync("member");
        var got = new EventSink<MessagesReceived>();
        member.GroupMessageReceived += got.Handler;
        var peerGot = new EventSink<MessagesReceived>();
        member.PeerMessageReceived += peerGot.Handler;
        Assert.Equal(0, (await member.CreateGroupAsync("one", "One", [], Ct)).ErrorCode);
        Assert.Equal(0, (await member.CreateGroupAsync("two", "Two", [], Ct)).ErrorCode);

        var first = await server.CallPostAsync("SendGroupMessage", """{"FromUserId":"bot","GroupId":"one","LocalMessageId":"7","MessageBody":{"Message":"to one"}}""");
        var second = await server.CallPostAsync("SendGroupMessage", """{"FromUserId":"bot","GroupId":"two","LocalMessageId":"7","MessageBody":{"Message":"to two"}}""");
        Assert.Equal((0, 0), (Code(first), Code(second)));
        Assert.NotEqual(first.GetProperty("MsgId").GetString(), second.GetProperty("MsgId").GetString());
        var delivered = new[] { await got.NextAsync(), await got.NextAsync() }.SelectMany(e => e.Messages).Select(m => (m.ConversationId, m.Message)).Order();
        Assert.Equal([("one", "to one"), ("two", "to two")], delivered);

        // the same on the WebSocket: a user's LocalMessageId names a message within one conversation
        var alice = await server.ChatAsync("alice");
        var toBot = ChatMessage.Text("to bot");
        Assert.Equal(0, (await alice.SendMessageAsync(toBot, "bot", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        var toMember = ChatMessage.Text("to member");
        toMember.LocalMessageId = toBot.LocalMessageId;
        var sent = await alice.SendMessageAsync(toMember, "member", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(0, sent.ErrorCode);
        var received = Assert.Single((await peerGot.NextAsync()).Messages);
        Assert.Equal(("to member", "alice", sent.Message.MessageId), (received.Message, received.SenderUserId, received.MessageId));
    }

    [Fact]
    public async Task QueryUserOnlineState_and_the_chat_rate_limit()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ServerApiRatePerSecond:QueryUserOnlineState"] = "3" });
        await server.ChatAsync("here");
        var r = await server.CallAsync("QueryUserOnlineState", ("UserId[]", "here"), ("UserId[]", "away"));
        Assert.Equal(0, Code(r));
        Assert.Equal([("here", "Online"), ("away", "Offline")], r.GetProperty("Result").EnumerateArray().Select(e => (e.GetProperty("UserId").GetString(), e.GetProperty("Status").GetString())));
        await server.CallAsync("QueryUserOnlineState", ("UserId[]", "x"));
        await server.CallAsync("QueryUserOnlineState", ("UserId[]", "x"));
        Assert.Equal(ChatServerApi.AppRateLimited, Code(await server.CallAsync("QueryUserOnlineState", ("UserId[]", "x"))));
    }
}
