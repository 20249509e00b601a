using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class RoomLoginTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Login_returns_users_already_in_the_room_and_others_see_the_join_and_leave()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoggedInAsync("r1", "alice");
        var aliceUpdates = new EventSink<RoomUserUpdated>();
        alice.RoomUserUpdated += aliceUpdates.Handler;

        var bob = server.NewClient();
        var result = await bob.LoginRoomAsync("r1", new RoomUser("bob", "Bob"), new RoomConfig { Token = server.Token("bob") }, Ct);
        Assert.Equal(0, result.ErrorCode);
        Assert.Equal(["alice"], result.Users.Select(u => u.UserId));

        var added = await aliceUpdates.NextAsync();
        Assert.Equal(RoomUpdateType.Add, added.UpdateType);
        Assert.Equal(new RoomUser("bob", "Bob"), Assert.Single(added.Users));

        Assert.Equal(0, (await bob.LogoutRoomAsync("r1", Ct)).ErrorCode);
        var removed = await aliceUpdates.NextAsync();
        Assert.Equal(RoomUpdateType.Delete, removed.UpdateType);
        Assert.Equal("bob", Assert.Single(removed.Users).UserId);
    }

    [Fact]
    public async Task Forged_expired_and_mismatched_tokens_are_refused_with_their_codes()
    {
        await using var server = await TestServer.StartAsync();
        async Task<int> Login(string userId, string? token, uint appId = TestServer.AppA, string room = "r1")
        {
            var c = server.NewClient(appId);
            return (await c.LoginRoomAsync(room, new RoomUser(userId), new RoomConfig { Token = token }, Ct)).ErrorCode;
        }

        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", null));
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", "04garbage"));
        // signed with app B's secret but presented to app A
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", Token04.Generate(TestServer.AppA, "u1", TestServer.SecretB, 3600)));
        // a genuine token of app B used on app A
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", server.Token("u1", TestServer.AppB)));
        // another user's token
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", server.Token("u2")));
        // a token for another room
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", server.Token("u1", payload: RoomPayload.Create("other"))));
        // expired
        string expired = Token04.Generate(TestServer.AppA, "u1", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(RoomErrorCodes.TokenExpired, await Login("u1", expired));
        // unknown app
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u1", server.Token("u1"), appId: 999));
        // a legacy CBC token, while the app does not enable them (TokenSecurityTests covers enabling)
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Login("u2", Protocol.Tests.LegacyCbcToken.Make(TestServer.AppA, "u2", TestServer.SecretA, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600)));
        // the right token, including a room-scoped one, works
        Assert.Equal(0, await Login("u1", server.Token("u1", payload: RoomPayload.Create("r1"))));
    }

    [Fact]
    public async Task RoomId_boundaries_are_enforced()
    {
        await using var server = await TestServer.StartAsync();
        string allowed = "azAZ09" + RoomLimits.RoomIdPunctuation;
        string longest = string.Concat(Enumerable.Repeat(allowed, 10))[..128];
        var client = server.NewClient();
        var config = new RoomConfig { Token = server.Token("u1") };
        Assert.Equal(0, (await client.LoginRoomAsync(longest, new RoomUser("u1"), config, Ct)).ErrorCode);
        Assert.Equal(0, (await client.LoginRoomAsync(RoomLimits.RoomIdPunctuation, new RoomUser("u1"), config, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.RoomIdTooLong, (await client.LoginRoomAsync(longest + "a", new RoomUser("u1"), config, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.RoomIdInvalid, (await client.LoginRoomAsync("room 1", new RoomUser("u1"), config, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.RoomIdEmpty, (await client.LoginRoomAsync("", new RoomUser("u1"), config, Ct)).ErrorCode);

        // The server enforces the same rules on its own, whatever a client sends.
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        string token = server.Token("u9");
        async Task<int> RawLogin(string roomId, string userId) =>
            (await raw.RequestAsync($$"""{"op":"login","rid":1,"roomId":{{System.Text.Json.JsonSerializer.Serialize(roomId)}},"userId":{{System.Text.Json.JsonSerializer.Serialize(userId)}},"token":"{{token}}"}""")).GetProperty("errorCode").GetInt32();
        Assert.Equal(RoomErrorCodes.RoomIdTooLong, await RawLogin(longest + "a", "u9"));
        Assert.Equal(RoomErrorCodes.RoomIdInvalid, await RawLogin("a?b", "u9"));
        Assert.Equal(RoomErrorCodes.RoomIdEmpty, await RawLogin("", "u9"));
        Assert.Equal(RoomErrorCodes.UserIdTooLong, await RawLogin("r", new string('u', 65)));
        Assert.Equal(RoomErrorCodes.UserIdEmpty, await RawLogin("r", ""));
        Assert.Equal(0, await RawLogin(longest, "u9"));
    }

    [Fact]
    public async Task Room_full_and_too_many_rooms_are_refused()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:MaxRoomsPerConnection"] = "2" });
        var first = server.NewClient();
        Assert.Equal(0, (await first.LoginRoomAsync("small", new RoomUser("u1"), new RoomConfig { Token = server.Token("u1"), MaxMemberCount = 2 }, Ct)).ErrorCode);
        var second = server.NewClient();
        Assert.Equal(0, (await second.LoginRoomAsync("small", new RoomUser("u2"), new RoomConfig { Token = server.Token("u2") }, Ct)).ErrorCode);
        var third = server.NewClient();
        Assert.Equal(RoomErrorCodes.RoomFull, (await third.LoginRoomAsync("small", new RoomUser("u3"), new RoomConfig { Token = server.Token("u3") }, Ct)).ErrorCode);

        Assert.Equal(0, (await first.LoginRoomAsync("other", new RoomUser("u1"), new RoomConfig { Token = server.Token("u1") }, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.TooManyRooms, (await first.LoginRoomAsync("third", new RoomUser("u1"), new RoomConfig { Token = server.Token("u1") }, Ct)).ErrorCode);
        // one connection is one user
        Assert.Equal(RoomErrorCodes.UserIdInvalid, (await second.LoginRoomAsync("other", new RoomUser("u9"), new RoomConfig { Token = server.Token("u9") }, Ct)).ErrorCode);
    }

    [Fact]
    public async Task Second_login_of_the_same_user_kicks_the_first_with_1002050()
    {
        await using var server = await TestServer.StartAsync();
        var observer = await server.LoggedInAsync("r1", "observer");
        var observerUpdates = new EventSink<RoomUserUpdated>();
        observer.RoomUserUpdated += observerUpdates.Handler;
        var first = await server.LoggedInAsync("r1", "dup");
        Assert.Equal("dup", Assert.Single((await observerUpdates.NextAsync()).Users).UserId); // the first login's join
        var states = new EventSink<RoomStateChanged>();
        first.RoomStateChanged += states.Handler;

        await server.LoggedInAsync("r1", "dup");
        var kicked = await states.NextAsync();
        Assert.Equal(RoomStateReason.KickOut, kicked.Reason);
        Assert.Equal(RoomErrorCodes.KickedByOtherLogin, kicked.ErrorCode);
        Assert.Empty(first.Rooms);
        await observerUpdates.AssertNoneAsync(TimeSpan.FromMilliseconds(300)); // the user never left
        var users = await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"));
        Assert.Equal(2, users.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());
    }

    [Fact]
    public async Task Token_will_expire_then_unrenewed_login_is_kicked_but_a_renewed_one_stays()
    {
        await using var server = await TestServer.StartAsync();
        // Two users with tokens of the same expiry second: "brief" is the control that never renews, "keeper" renews.
        var issued = DateTimeOffset.UtcNow;
        const long Lifetime = 3;
        long originalExpiry = issued.ToUnixTimeSeconds() + Lifetime;
        string TokenFor(string user) => Token04.Generate(TestServer.AppA, user, TestServer.SecretA, Lifetime, now: issued);

        var control = server.NewClient();
        var warnings = new EventSink<RoomTokenWillExpire>();
        var states = new EventSink<RoomStateChanged>();
        control.RoomTokenWillExpire += warnings.Handler;
        control.RoomStateChanged += states.Handler;
        Assert.Equal(0, (await control.LoginRoomAsync("r1", new RoomUser("brief"), new RoomConfig { Token = TokenFor("brief") }, Ct)).ErrorCode);

        var renewing = server.NewClient();
        var renewWarnings = new EventSink<RoomTokenWillExpire>();
        var renewStates = new EventSink<RoomStateChanged>();
        renewing.RoomTokenWillExpire += renewWarnings.Handler;
        renewing.RoomStateChanged += renewStates.Handler;
        Assert.Equal(0, (await renewing.LoginRoomAsync("r1", new RoomUser("keeper"), new RoomConfig { Token = TokenFor("keeper") }, Ct)).ErrorCode);

        var warning = await warnings.NextAsync();
        Assert.Equal("r1", warning.RoomId);
        Assert.InRange(warning.RemainTimeInSecond, 1, (int)Lifetime);
        Assert.InRange((await renewWarnings.NextAsync()).RemainTimeInSecond, 1, (int)Lifetime);
        Assert.Equal(RoomErrorCodes.TokenInvalid, (await renewing.RenewTokenAsync("r1", server.Token("someone-else"), Ct)).ErrorCode);
        string expired = Token04.Generate(TestServer.AppA, "keeper", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(RoomErrorCodes.TokenExpired, (await renewing.RenewTokenAsync("r1", expired, Ct)).ErrorCode);
        Assert.Equal(0, (await renewing.RenewTokenAsync("r1", server.Token("keeper"), Ct)).ErrorCode);

        // The control, whose token expires in the same second, is kicked: the original expiry has now passed.
        var kicked = await states.NextAsync(s => s.Reason == RoomStateReason.KickOut, TimeSpan.FromSeconds(Lifetime + 7));
        Assert.Equal(RoomErrorCodes.TokenExpired, kicked.ErrorCode);
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() >= originalExpiry, "the control was kicked before the original expiry");

        // Two more maintenance passes (every 500 ms) after the expiry: only the renewal keeps "keeper" in the room.
        await Task.Delay(1500, Ct);
        while (renewStates.TryTake(out var state)) Assert.NotEqual(RoomStateReason.KickOut, state!.Reason);
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() > originalExpiry);
        var status = await server.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", "keeper"), ("UserId[]", "brief"));
        var list = status.GetProperty("Data").GetProperty("UserStatusList");
        Assert.Equal(("keeper", 1), (list[0].GetProperty("UserId").GetString(), list[0].GetProperty("Status").GetInt32()));
        Assert.Equal(("brief", 0), (list[1].GetProperty("UserId").GetString(), list[1].GetProperty("Status").GetInt32()));
        Assert.Equal(["r1"], renewing.Rooms);
        Assert.Equal(0, (await renewing.SendBroadcastMessageAsync("r1", "still here", Ct)).ErrorCode);
    }

    [Fact]
    public async Task Online_count_is_pushed_periodically()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:OnlineCountInterval"] = "00:00:01" });
        var a = await server.LoggedInAsync("r1", "a");
        var counts = new EventSink<RoomOnlineUserCountUpdated>();
        a.RoomOnlineUserCountUpdated += counts.Handler;
        await server.LoggedInAsync("r1", "b");
        var count = await counts.NextAsync(c => c.Count == 2, TimeSpan.FromSeconds(5));
        Assert.Equal("r1", count.RoomId);
        // periodically: the next push comes again, with the same count, about an interval later (not at once)
        var first = DateTime.UtcNow;
        var next = await counts.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("r1", 2), (next.RoomId, next.Count));
        Assert.True(DateTime.UtcNow - first >= TimeSpan.FromMilliseconds(800), $"the next push came {(DateTime.UtcNow - first).TotalMilliseconds} ms after the previous one; the interval is 1 s");
    }
}
