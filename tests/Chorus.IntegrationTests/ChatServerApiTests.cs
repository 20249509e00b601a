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
        Assert.Equal("system", error.GetProperty("UserId").GetString()); // not to the sender
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
