using System.Text.Json;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class ServerApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int Code(JsonElement response) => response.GetProperty("Code").GetInt32();

    [Fact]
    public async Task SendCustomCommand_delivers_1024_bytes_rejects_1025_and_reports_offline_users()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoggedInAsync("r1", "alice");
        var bob = await server.LoggedInAsync("r1", "bob");
        var aliceSink = new EventSink<CustomCommandReceived>();
        var bobSink = new EventSink<CustomCommandReceived>();
        alice.CustomCommandReceived += aliceSink.Handler;
        bob.CustomCommandReceived += bobSink.Handler;

        string max = new string('m', 1021) + "€"; // 1024 bytes
        var ok = await server.CallAsync("SendCustomCommand", ("RoomId", "r1"), ("FromUserId", "backend"), ("ToUserId[]", "alice"), ("ToUserId[]", "ghost"), ("MessageContent", max));
        Assert.Equal(0, Code(ok));
        Assert.Equal("success", ok.GetProperty("Message").GetString());
        Assert.False(string.IsNullOrEmpty(ok.GetProperty("RequestId").GetString()));
        var fail = Assert.Single(ok.GetProperty("Data").GetProperty("FailUsers").EnumerateArray());
        Assert.Equal(("ghost", ServerApiCodes.UserNotOnline), (fail.GetProperty("Uid").GetString(), fail.GetProperty("Code").GetInt32()));
        var got = await aliceSink.NextAsync();
        Assert.Equal((max, "backend"), (got.Command, got.FromUser.UserId));
        await bobSink.AssertNoneAsync(TimeSpan.FromMilliseconds(200));

        var tooLong = await server.CallAsync("SendCustomCommand", ("RoomId", "r1"), ("FromUserId", "backend"), ("MessageContent", max + "x"));
        Assert.Equal(ServerApiCodes.MessageTooLong, Code(tooLong));
        await aliceSink.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task SendCustomCommand_accepts_10_targets_and_rejects_11_with_50011()
    {
        await using var server = await TestServer.StartAsync();
        await server.LoggedInAsync("r1", "u0");
        var ten = Enumerable.Range(0, 10).Select(i => ("ToUserId[]", $"u{i}")).ToList();
        var ok = await server.CallAsync("SendCustomCommand", [("RoomId", "r1"), ("FromUserId", "backend"), ("MessageContent", "x"), .. ten]);
        Assert.Equal(0, Code(ok));
        Assert.Equal(9, ok.GetProperty("Data").GetProperty("FailUsers").GetArrayLength());
        var eleven = await server.CallAsync("SendCustomCommand", [("RoomId", "r1"), ("FromUserId", "backend"), ("MessageContent", "x"), .. ten, ("ToUserId[]", "u10")]);
        Assert.Equal(ServerApiCodes.TooManyUsers, Code(eleven));
    }

    [Fact]
    public async Task A_client_with_the_sending_UserId_does_not_receive_the_message()
    {
        await using var server = await TestServer.StartAsync();
        var same = await server.LoggedInAsync("r1", "host");
        var other = await server.LoggedInAsync("r1", "guest");
        var sameSink = new EventSink<BroadcastMessagesReceived>();
        var otherSink = new EventSink<BroadcastMessagesReceived>();
        same.BroadcastMessageReceived += sameSink.Handler;
        other.BroadcastMessageReceived += otherSink.Handler;
        var response = await server.CallAsync("SendBroadcastMessage", ("RoomId", "r1"), ("UserId", "host"), ("UserName", "Host"), ("MessageCategory", "2"), ("MessageContent", "hello room"));
        Assert.Equal(0, Code(response));
        long id = response.GetProperty("Data").GetProperty("MessageId").GetInt64();
        var m = Assert.Single((await otherSink.NextAsync()).Messages);
        Assert.Equal(("hello room", id, "host", "Host"), (m.Message, m.MessageId, m.FromUser.UserId, m.FromUser.UserName));
        await sameSink.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendBroadcastMessage", ("RoomId", "r1"), ("UserId", "host"), ("MessageCategory", "3"), ("MessageContent", "x"))));
    }

    [Fact]
    public async Task SendBarrageMessage_returns_a_string_id_and_refuses_empty_content_with_1008()
    {
        await using var server = await TestServer.StartAsync();
        var listener = await server.LoggedInAsync("r1", "fan");
        var sink = new EventSink<BarrageMessagesReceived>();
        listener.BarrageMessageReceived += sink.Handler;
        var ok = await server.CallAsync("SendBarrageMessage", ("RoomId", "r1"), ("UserId", "bot"), ("UserName", "Bot"), ("MessageCategory", "1"), ("MessageContent", "wow"));
        Assert.Equal(0, Code(ok));
        string id = ok.GetProperty("Data").GetProperty("MessageId").GetString()!;
        Assert.Matches(@"^\d+_\d{13}_\d+$", id);
        Assert.Equal(id, Assert.Single((await sink.NextAsync()).Messages).MessageId);
        Assert.Equal(ServerApiCodes.ContentEmpty, Code(await server.CallAsync("SendBarrageMessage", ("RoomId", "r1"), ("UserId", "bot"), ("MessageContent", ""))));
        Assert.Equal(ServerApiCodes.MessageTooLong, Code(await server.CallAsync("SendBarrageMessage", ("RoomId", "r1"), ("UserId", "bot"), ("MessageContent", new string('x', 1025)))));
    }

    [Fact]
    public async Task DescribeUserNum_and_DescribeUsers_report_presence()
    {
        await using var server = await TestServer.StartAsync();
        await server.LoggedInAsync("r1", "a");
        await server.LoggedInAsync("r1", "b");
        await server.LoggedInAsync("r2", "c");
        var num = await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"), ("RoomId[]", "r2"), ("RoomId[]", "empty"));
        Assert.Equal(0, Code(num));
        var counts = num.GetProperty("Data").GetProperty("UserCountList").EnumerateArray()
            .Select(e => (e.GetProperty("RoomId").GetString(), e.GetProperty("UserCount").GetInt32(), e.GetProperty("AdminUserCount").GetInt32())).ToArray();
        Assert.Equal([("r1", 2, 0), ("r2", 1, 0), ("empty", 0, 0)], counts);

        var users = await server.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", "a"), ("UserId[]", "c"));
        var list = users.GetProperty("Data").GetProperty("UserStatusList");
        Assert.Equal(1, list[0].GetProperty("Status").GetInt32());
        Assert.True(list[0].GetProperty("LoginTime").GetInt64() > 1_600_000_000_000);
        Assert.Equal(0, list[1].GetProperty("Status").GetInt32());
        Assert.Equal(ServerApiCodes.RoomNotFound, Code(await server.CallAsync("DescribeUsers", ("RoomId", "nope"), ("UserId[]", "a"))));
        var eleven = Enumerable.Range(0, 11).Select(i => ("UserId[]", $"u{i}")).ToArray();
        Assert.Equal(ServerApiCodes.TooManyUsers, Code(await server.CallAsync("DescribeUsers", [("RoomId", "r1"), .. eleven])));
    }

    [Fact]
    public async Task KickoutUser_kicks_with_1002055_and_the_reason_and_others_see_the_leave()
    {
        await using var server = await TestServer.StartAsync();
        var victim = await server.LoggedInAsync("r1", "victim");
        var witness = await server.LoggedInAsync("r1", "witness");
        var states = new EventSink<RoomStateChanged>();
        victim.RoomStateChanged += states.Handler;
        var updates = new EventSink<RoomUserUpdated>();
        witness.RoomUserUpdated += updates.Handler;

        var six = Enumerable.Range(0, 6).Select(i => ("UserId[]", $"u{i}")).ToArray();
        Assert.Equal(ServerApiCodes.TooManyUsers, Code(await server.CallAsync("KickoutUser", [("RoomId", "r1"), .. six])));
        Assert.Equal(0, Code(await server.CallAsync("KickoutUser", ("RoomId", "r1"), ("UserId[]", "victim"), ("CustomReason", "spam"))));
        var state = await states.NextAsync();
        Assert.Equal((RoomStateReason.KickOut, RoomErrorCodes.KickedByServer, "spam"), (state.Reason, state.ErrorCode, state.ExtendedData));
        var update = await updates.NextAsync();
        Assert.Equal((RoomUpdateType.Delete, "victim"), (update.UpdateType, Assert.Single(update.Users).UserId));
        Assert.Equal(RoomErrorCodes.NotLoggedIn, (await victim.SendCustomCommandAsync("r1", "still here?", null, Ct)).ErrorCode);
    }

    [Fact]
    public async Task CloseRoom_kicks_everyone_and_answers_5024_for_a_missing_room()
    {
        await using var server = await TestServer.StartAsync();
        var a = await server.LoggedInAsync("r1", "a");
        var states = new EventSink<RoomStateChanged>();
        a.RoomStateChanged += states.Handler;
        Assert.Equal(0, Code(await server.CallAsync("CloseRoom", ("RoomId", "r1"), ("CustomReason", "show over"))));
        Assert.Equal(RoomStateReason.KickOut, (await states.NextAsync()).Reason);
        await Task.Delay(1100, Ct); // CloseRoom is limited to 1/s per app
        Assert.Equal(ServerApiCodes.CloseRoomNotExist, Code(await server.CallAsync("CloseRoom", ("RoomId", "r1"))));
    }

    [Fact]
    public async Task Signature_errors_each_have_their_own_code()
    {
        await using var server = await TestServer.StartAsync();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Signed(uint appId, string secret, string nonce, long ts) =>
            $"AppId={appId}&SignatureNonce={nonce}&Timestamp={ts}&SignatureVersion=2.0&Signature={ServerApiSignature.Compute(appId, nonce, secret, ts)}";
        const string biz = "&RoomId[]=r1";
        async Task<(int Code, string Message)> Get(string query)
        {
            var r = await server.GetAsync("/?" + query);
            return (Code(r), r.GetProperty("Message").GetString()!);
        }

        Assert.Equal(ServerApiCodes.ActionEmpty, (await Get(Signed(TestServer.AppA, TestServer.SecretA, "0000000000000001", now) + biz)).Code);
        Assert.Equal(ServerApiCodes.ActionUnsupported, (await Get("Action=Nope&" + Signed(TestServer.AppA, TestServer.SecretA, "0000000000000002", now))).Code);
        Assert.Equal(ServerApiCodes.AppIdFormat, (await Get($"Action=DescribeUserNum&AppId=abc&SignatureNonce=n&Timestamp={now}&SignatureVersion=2.0&Signature=x")).Code);
        Assert.Equal(ServerApiCodes.TimestampEmpty, (await Get("Action=DescribeUserNum&AppId=1001&SignatureNonce=n&SignatureVersion=2.0&Signature=x")).Code);
        Assert.Equal(ServerApiCodes.TimestampFormat, (await Get("Action=DescribeUserNum&AppId=1001&SignatureNonce=n&Timestamp=soon&SignatureVersion=2.0&Signature=x")).Code);
        Assert.Equal(ServerApiCodes.NonceEmpty, (await Get($"Action=DescribeUserNum&AppId=1001&Timestamp={now}&SignatureVersion=2.0&Signature=x")).Code);
        Assert.Equal(ServerApiCodes.SignatureEmpty, (await Get($"Action=DescribeUserNum&AppId=1001&SignatureNonce=n&Timestamp={now}&SignatureVersion=2.0")).Code);
        Assert.Equal(ServerApiCodes.VersionEmpty, (await Get($"Action=DescribeUserNum&AppId=1001&SignatureNonce=n&Timestamp={now}&Signature=x")).Code);
        Assert.Equal(ServerApiCodes.VersionUnsupported, (await Get($"Action=DescribeUserNum&AppId=1001&SignatureNonce=n&Timestamp={now}&SignatureVersion=1.0&Signature=x")).Code);
        Assert.Equal(ServerApiCodes.AppUnknown, (await Get("Action=DescribeUserNum&" + Signed(4242, TestServer.SecretA, "0000000000000003", now) + biz)).Code);
        // another app's secret, or a wrong signature
        Assert.Equal(ServerApiCodes.SignatureInvalid, (await Get("Action=DescribeUserNum&" + Signed(TestServer.AppA, TestServer.SecretB, "0000000000000004", now) + biz)).Code);
        // outside +-10 minutes; inside passes
        Assert.Equal(ServerApiCodes.SignatureExpired, (await Get("Action=DescribeUserNum&" + Signed(TestServer.AppA, TestServer.SecretA, "0000000000000005", now - 700) + biz)).Code);
        Assert.Equal(ServerApiCodes.SignatureExpired, (await Get("Action=DescribeUserNum&" + Signed(TestServer.AppA, TestServer.SecretA, "0000000000000006", now + 700) + biz)).Code);
        Assert.Equal(0, (await Get("Action=DescribeUserNum&" + Signed(TestServer.AppA, TestServer.SecretA, "0000000000000007", now - 500) + biz)).Code);
        // replay of the same nonce
        string once = "Action=DescribeUserNum&" + Signed(TestServer.AppA, TestServer.SecretA, "0000000000000008", now) + biz;
        Assert.Equal(0, (await Get(once)).Code);
        var replay = await Get(once);
        Assert.Equal(ServerApiCodes.SignatureInvalid, replay.Code);
        Assert.Contains("replay", replay.Message);
        // the same nonce is fine for another app
        Assert.Equal(0, (await Get("Action=DescribeUserNum&" + Signed(TestServer.AppB, TestServer.SecretB, "0000000000000008", now) + biz)).Code);
    }

    [Fact]
    public async Task Server_api_rate_limit_is_per_AppId_and_answers_code_7()
    {
        await using var server = await TestServer.StartAsync();
        var codes = await RateBurst.WithinOneWindowAsync(11, async (_, _) => Code(await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"))));
        Assert.All(codes.Take(10), c => Assert.Equal(0, c));
        Assert.Equal(ServerApiCodes.RateLimited, codes[10]);
        // other actions and other apps have their own budgets
        Assert.Equal(0, Code(await server.CallAsync("DescribeUserNum", TestServer.AppB, TestServer.SecretB, ("RoomId[]", "r1"))));
        Assert.Equal(0, Code(await server.CallAsync("SendCustomCommand", ("RoomId", "r1"), ("FromUserId", "x"), ("MessageContent", "y"))));
    }

    [Fact]
    public async Task Post_with_a_json_body_is_accepted_and_a_bad_body_is_a_clear_error()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoggedInAsync("r1", "alice");
        var sink = new EventSink<CustomCommandReceived>();
        alice.CustomCommandReceived += sink.Handler;
        string query = "/?Action=SendCustomCommand&" + ServerApiSignature.BuildCommonQuery(TestServer.AppA, TestServer.SecretA, DateTimeOffset.UtcNow);
        var ok = await server.PostAsync(query, """{"RoomId":"r1","FromUserId":"backend","ToUserId":["alice","nobody"],"MessageContent":"via post"}""");
        Assert.Equal(0, Code(ok));
        var failUser = Assert.Single(ok.GetProperty("Data").GetProperty("FailUsers").EnumerateArray());
        Assert.Equal(("nobody", ServerApiCodes.UserNotOnline), (failUser.GetProperty("Uid").GetString(), failUser.GetProperty("Code").GetInt32()));
        Assert.Equal("via post", (await sink.NextAsync()).Command);

        string query2 = "/?Action=SendCustomCommand&" + ServerApiSignature.BuildCommonQuery(TestServer.AppA, TestServer.SecretA, DateTimeOffset.UtcNow);
        // a clear error: the code, and a message that says what is wrong with the body
        var bad = await server.PostAsync(query2, "{not json");
        Assert.Equal((ServerApiCodes.BadParameter, "the body is not valid JSON"), (Code(bad), bad.GetProperty("Message").GetString()));
        var arr = await server.PostAsync(query2, "[1,2]");
        Assert.Equal((ServerApiCodes.BadParameter, "the body must be a JSON object"), (Code(arr), arr.GetProperty("Message").GetString()));
    }

    [Fact]
    public async Task Bad_business_parameters_get_code_2()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendCustomCommand", ("FromUserId", "x"), ("MessageContent", "y"))));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendCustomCommand", ("RoomId", "bad room"), ("FromUserId", "x"), ("MessageContent", "y"))));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendCustomCommand", ("RoomId", new string('r', 129)), ("FromUserId", "x"), ("MessageContent", "y"))));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendCustomCommand", ("RoomId", "r"), ("MessageContent", "y"))));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendCustomCommand", ("RoomId", "r"), ("FromUserId", "x"), ("ToUserId[]", ""), ("MessageContent", "y"))));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("SendCustomCommand", ("RoomId", "r"), ("FromUserId", "x"))));
        Assert.Equal(ServerApiCodes.BadParameter, Code(await server.CallAsync("KickoutUser", ("RoomId", "r"), ("UserId[]", "x"), ("CustomReason", new string('c', 257)))));
    }
}
