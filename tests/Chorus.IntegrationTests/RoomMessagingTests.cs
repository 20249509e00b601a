using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class RoomMessagingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Custom_command_of_1024_bytes_is_delivered_and_1025_is_rejected()
    {
        await using var server = await TestServer.StartAsync();
        var sender = await server.LoggedInAsync("r1", "sender");
        var receiver = await server.LoggedInAsync("r1", "receiver");
        var received = new EventSink<CustomCommandReceived>();
        receiver.CustomCommandReceived += received.Handler;

        string max = new string('x', 1022) + "é"; // 1024 UTF-8 bytes
        Assert.Equal(1024, System.Text.Encoding.UTF8.GetByteCount(max));
        Assert.Equal(0, (await sender.SendCustomCommandAsync("r1", max, null, Ct)).ErrorCode);
        var cmd = await received.NextAsync();
        Assert.Equal(max, cmd.Command);
        Assert.Equal("sender", cmd.FromUser.UserId);
        Assert.Equal("r1", cmd.RoomId);

        Assert.Equal(RoomErrorCodes.ContentTooLong, (await sender.SendCustomCommandAsync("r1", max + "z", null, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentEmpty, (await sender.SendCustomCommandAsync("r1", "", null, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.WrongRoom, (await sender.SendCustomCommandAsync("r2", "hi", null, Ct)).ErrorCode);

        // the server checks on its own as well
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var login = await raw.RequestAsync($$"""{"op":"login","rid":1,"roomId":"r1","userId":"raw","token":"{{server.Token("raw")}}"}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());
        var tooLong = await raw.RequestAsync($$"""{"op":"customCommand","rid":2,"roomId":"r1","content":"{{new string('x', 1025)}}"}""");
        Assert.Equal(RoomErrorCodes.ContentTooLong, tooLong.GetProperty("errorCode").GetInt32());
        var eleven = string.Join(",", Enumerable.Range(0, 11).Select(i => $"\"u{i}\""));
        var tooMany = await raw.RequestAsync($$"""{"op":"customCommand","rid":3,"roomId":"r1","content":"x","toUserIds":[{{eleven}}]}""");
        Assert.Equal(RoomErrorCodes.TooManyTargets, tooMany.GetProperty("errorCode").GetInt32());
        var notIn = await raw.RequestAsync("""{"op":"broadcast","rid":4,"roomId":"elsewhere","content":"x"}""");
        Assert.Equal(RoomErrorCodes.WrongRoom, notIn.GetProperty("errorCode").GetInt32());
        await received.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Custom_command_to_listed_users_reaches_only_them_and_10_targets_is_the_limit()
    {
        await using var server = await TestServer.StartAsync();
        var sender = await server.LoggedInAsync("r1", "s");
        var listed = await server.LoggedInAsync("r1", "listed");
        var other = await server.LoggedInAsync("r1", "other");
        var listedSink = new EventSink<CustomCommandReceived>();
        var otherSink = new EventSink<CustomCommandReceived>();
        var senderSink = new EventSink<CustomCommandReceived>();
        listed.CustomCommandReceived += listedSink.Handler;
        other.CustomCommandReceived += otherSink.Handler;
        sender.CustomCommandReceived += senderSink.Handler;

        var ten = Enumerable.Range(0, 9).Select(i => new RoomUser($"absent{i}")).Append(new RoomUser("listed")).ToList();
        Assert.Equal(0, (await sender.SendCustomCommandAsync("r1", "to-ten", ten, Ct)).ErrorCode);
        Assert.Equal("to-ten", (await listedSink.NextAsync()).Command);

        var eleven = ten.Append(new RoomUser("other")).ToList();
        Assert.Equal(RoomErrorCodes.TooManyTargets, (await sender.SendCustomCommandAsync("r1", "to-eleven", eleven, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.TargetUserIdEmpty, (await sender.SendCustomCommandAsync("r1", "x", [new RoomUser("")], Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.TargetUserIdTooLong, (await sender.SendCustomCommandAsync("r1", "x", [new RoomUser(new string('u', 65))], Ct)).ErrorCode);

        Assert.Equal(0, (await sender.SendCustomCommandAsync("r1", "everyone", null, Ct)).ErrorCode);
        Assert.Equal("everyone", (await listedSink.NextAsync()).Command);
        Assert.Equal("everyone", (await otherSink.NextAsync()).Command);
        await senderSink.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
        await otherSink.AssertNoneAsync(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Custom_commands_to_many_users_are_limited_to_10_per_second()
    {
        await using var server = await TestServer.StartAsync();
        var sender = await server.LoggedInAsync("r1", "s");
        await server.LoggedInAsync("r1", "t");
        var codes = await RateBurst.WithinOneWindowAsync(11, async (_, i) => (await sender.SendCustomCommandAsync("r1", $"m{i}", null, Ct)).ErrorCode);
        Assert.All(codes.Take(10), c => Assert.Equal(0, c));
        Assert.Equal(RoomErrorCodes.SendTooFrequent, codes[10]);
        // the one-user budget (200/s) is separate
        Assert.Equal(0, (await sender.SendCustomCommandAsync("r1", "direct", [new RoomUser("t")], Ct)).ErrorCode);
    }

    [Fact]
    public async Task Broadcast_is_delivered_with_increasing_ids_and_limited_to_2_per_second_per_client()
    {
        await using var server = await TestServer.StartAsync();
        var sender = await server.LoggedInAsync("r1", "s");
        var receiver = await server.LoggedInAsync("r1", "r");
        var sink = new EventSink<BroadcastMessagesReceived>();
        receiver.BroadcastMessageReceived += sink.Handler;
        var senderSink = new EventSink<BroadcastMessagesReceived>();
        sender.BroadcastMessageReceived += senderSink.Handler;

        var first = await sender.SendBroadcastMessageAsync("r1", "one", Ct);
        var second = await sender.SendBroadcastMessageAsync("r1", "two", Ct);
        var third = await sender.SendBroadcastMessageAsync("r1", "three", Ct);
        Assert.Equal(0, first.ErrorCode);
        Assert.Equal(0, second.ErrorCode);
        Assert.True(second.MessageId > first.MessageId);
        Assert.Equal(RoomErrorCodes.SendTooFrequent, third.ErrorCode);

        var m1 = Assert.Single((await sink.NextAsync()).Messages);
        var m2 = Assert.Single((await sink.NextAsync()).Messages);
        Assert.Equal(("one", first.MessageId, "s"), (m1.Message, m1.MessageId, m1.FromUser.UserId));
        Assert.Equal(("two", second.MessageId), (m2.Message, m2.MessageId));
        Assert.True(m1.SendTime > 0);
        await sink.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
        await senderSink.AssertNoneAsync(TimeSpan.FromMilliseconds(10));
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await sender.SendBroadcastMessageAsync("r1", new string('b', 1025), Ct)).ErrorCode);
    }

    [Fact]
    public async Task Broadcast_is_limited_to_10_per_second_per_room()
    {
        await using var server = await TestServer.StartAsync();
        var senders = new List<ChorusRoomClient>();
        for (int i = 0; i < 6; i++) senders.Add(await server.LoggedInAsync("r1", $"s{i}", notify: false));
        var codes = await RateBurst.WithinOneWindowAsync(12, async (_, i) => (await senders[i / 2].SendBroadcastMessageAsync("r1", "m", Ct)).ErrorCode);
        Assert.Equal(10, codes.Count(c => c == 0));
        Assert.Equal(RoomErrorCodes.SendTooFrequent, codes[10]);
        Assert.Equal(RoomErrorCodes.SendTooFrequent, codes[11]);
    }

    [Fact]
    public async Task Barrage_is_delivered_with_a_string_id_and_limited_to_20_per_second_per_room()
    {
        await using var server = await TestServer.StartAsync();
        var sender = await server.LoggedInAsync("r1", "s");
        var receiver = await server.LoggedInAsync("r1", "r");
        var sink = new EventSink<BarrageMessagesReceived>();
        receiver.BarrageMessageReceived += sink.Handler;

        int lastAttempt = 0;
        var results = await RateBurst.WithinOneWindowAsync(21, (attempt, i) => { lastAttempt = attempt; return sender.SendBarrageMessageAsync("r1", $"a{attempt}b{i}", Ct); });
        Assert.All(results.Take(20), r => Assert.Equal(0, r.ErrorCode));
        Assert.Equal(RoomErrorCodes.SendTooFrequent, results[20].ErrorCode);
        Assert.Matches(@"^\d+_\d{13}_\d+$", results[0].MessageId);
        Assert.Equal(20, results.Take(20).Select(r => r.MessageId).Distinct().Count());

        var first = Assert.Single((await sink.NextAsync(e => e.Messages.Any(m => m.Message == $"a{lastAttempt}b0"))).Messages);
        Assert.Equal(($"a{lastAttempt}b0", results[0].MessageId, "s"), (first.Message, first.MessageId, first.FromUser.UserId));
    }

    [Fact]
    public async Task Room_extra_info_reaches_others_but_not_the_setter()
    {
        await using var server = await TestServer.StartAsync();
        var setter = await server.LoggedInAsync("r1", "setter");
        var other = await server.LoggedInAsync("r1", "other");
        var setterSink = new EventSink<RoomExtraInfoUpdated>();
        var otherSink = new EventSink<RoomExtraInfoUpdated>();
        setter.RoomExtraInfoUpdated += setterSink.Handler;
        other.RoomExtraInfoUpdated += otherSink.Handler;
        Assert.Equal(0, (await setter.SetRoomExtraInfoAsync("r1", "topic", "music", Ct)).ErrorCode);
        var update = await otherSink.NextAsync();
        Assert.Equal(("topic", "music", "setter"), (update.Key, update.Value, update.UpdateUser.UserId));
        await setterSink.AssertNoneAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SetRoomExtraInfoAsync("r1", new string('k', 128), "v", Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.ContentTooLong, (await setter.SetRoomExtraInfoAsync("r1", "k", new string('v', 4096), Ct)).ErrorCode);
        Assert.Equal(0, (await setter.SetRoomExtraInfoAsync("r1", new string('k', 127), new string('v', 4095), Ct)).ErrorCode);
    }

    [Fact]
    public async Task Broadcast_message_ids_keep_increasing_across_a_restart_on_the_same_data_directory()
    {
        // A directory name without the "chorus-test-" mark: the first server's disposal must not remove it.
        string data = Path.Combine(Path.GetTempPath(), "chorus-restart-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["Chorus:DataDirectory"] = data };
        try
        {
            long before;
            await using (var first = await TestServer.StartAsync(settings))
            {
                var sender = await first.LoggedInAsync("r1", "s");
                var a = await sender.SendBroadcastMessageAsync("r1", "one", Ct);
                var b = await sender.SendBroadcastMessageAsync("r1", "two", Ct);
                Assert.Equal((0, 0), (a.ErrorCode, b.ErrorCode));
                Assert.True(b.MessageId > a.MessageId);
                var viaApi = await first.CallAsync("SendBroadcastMessage", ("RoomId", "r1"), ("UserId", "backend"), ("MessageContent", "three"));
                Assert.Equal(0, viaApi.GetProperty("Code").GetInt32());
                before = viaApi.GetProperty("Data").GetProperty("MessageId").GetInt64();
                Assert.True(before > b.MessageId);
            }
            await using var second = await TestServer.StartAsync(settings);
            Assert.Equal(data, second.DataDirectory);
            var again = await second.LoggedInAsync("r1", "s");
            var after = await again.SendBroadcastMessageAsync("r1", "four", Ct);
            Assert.Equal(0, after.ErrorCode);
            Assert.True(after.MessageId > before, $"id {after.MessageId} after the restart is not above {before} from before it");
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Apps_are_isolated_from_each_other()
    {
        await using var server = await TestServer.StartAsync();
        var a = await server.LoggedInAsync("shared", "alice", TestServer.AppA);
        var b = await server.LoggedInAsync("shared", "bob", TestServer.AppB);
        var aSink = new EventSink<CustomCommandReceived>();
        var aUsers = new EventSink<RoomUserUpdated>();
        a.CustomCommandReceived += aSink.Handler;
        a.RoomUserUpdated += aUsers.Handler;
        Assert.Equal(0, (await b.SendCustomCommandAsync("shared", "from-b", null, Ct)).ErrorCode);

        var viaB = await server.CallAsync("SendCustomCommand", TestServer.AppB, TestServer.SecretB,
            ("RoomId", "shared"), ("FromUserId", "backend"), ("ToUserId[]", "alice"), ("MessageContent", "x"));
        Assert.Equal(ServerApiCodes.UserNotOnline, viaB.GetProperty("Data").GetProperty("FailUsers")[0].GetProperty("Code").GetInt32());
        var usersViaB = await server.CallAsync("DescribeUsers", TestServer.AppB, TestServer.SecretB, ("RoomId", "shared"), ("UserId[]", "alice"));
        Assert.Equal(0, usersViaB.GetProperty("Data").GetProperty("UserStatusList")[0].GetProperty("Status").GetInt32());
        var count = await server.CallAsync("DescribeUserNum", ("RoomId[]", "shared"));
        Assert.Equal(1, count.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());

        await aSink.AssertNoneAsync(TimeSpan.FromMilliseconds(300));
        await aUsers.AssertNoneAsync(TimeSpan.FromMilliseconds(10));
    }
}
