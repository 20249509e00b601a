using System.Diagnostics;
using System.Text.Json;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Protocol.Tests;

namespace Chorus.IntegrationTests;

/// <summary>Issue 9: token verification reveals nothing, legacy CBC is opt-in, failed logins are limited, IDs are visible.</summary>
public class TokenSecurityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static string Json(string s) => JsonSerializer.Serialize(s);
    private static string RoomLogin(string userId, string token, string roomId = "r1", long rid = 7) =>
        $$"""{"op":"login","rid":{{rid}},"roomId":{{Json(roomId)}},"userId":{{Json(userId)}},"token":{{Json(token)}}}""";
    private static string ChatLogin(string userId, string token, long rid = 7) =>
        $$"""{"op":"chatLogin","rid":{{rid}},"userId":{{Json(userId)}},"token":{{Json(token)}}}""";
    private static string CbcToken(string userId, uint appId = TestServer.AppA) =>
        LegacyCbcToken.Make(appId, userId, TestServer.SecretOf(appId), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600);
    private static int Code(JsonElement answer) => answer.GetProperty("errorCode").GetInt32();

    /// <summary>Settings that keep the failed-login limits out of the way of a test that fails on purpose many times.</summary>
    private static Dictionary<string, string?> Unthrottled(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Chorus:LoginAttemptsPerConnectionPerMinute"] = "100000",
            ["Chorus:FailedLoginsPerAddressPerMinute"] = "100000",
            ["Chorus:FailedLoginsPerAppPerMinute"] = "100000",
        };
        foreach (var (k, v) in more) settings[k] = v;
        return settings;
    }

    [Fact]
    public async Task Cbc_token_is_refused_like_any_invalid_token_unless_the_app_enables_it()
    {
        await using (var off = await TestServer.StartAsync())
        {
            await using var raw = await RawSocket.ConnectAsync(off.Url, TestServer.AppA);
            var cbc = await raw.RequestAsync(RoomLogin("u1", CbcToken("u1")));
            var junk = await raw.RequestAsync(RoomLogin("u1", "04garbage"));
            Assert.Equal(RoomErrorCodes.TokenInvalid, Code(cbc));
            Assert.Equal("token is invalid", cbc.GetProperty("error").GetString());
            Assert.Equal(junk.GetRawText(), cbc.GetRawText());
            var chatCbc = await raw.RequestAsync(ChatLogin("u1", CbcToken("u1")));
            Assert.Equal(ChatErrorCodes.TokenInvalid, Code(chatCbc));
            Assert.Equal((await raw.RequestAsync(ChatLogin("u1", "04garbage"))).GetRawText(), chatCbc.GetRawText());
        }

        await using var on = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:Apps:0:AllowLegacyCbcTokens"] = "true" });
        await using (var raw = await RawSocket.ConnectAsync(on.Url, TestServer.AppA))
        {
            Assert.Equal(0, Code(await raw.RequestAsync(RoomLogin("u1", CbcToken("u1")))));
            Assert.Equal(0, Code(await raw.RequestAsync(ChatLogin("u1", CbcToken("u1")))));
        }
        // the setting is per app: app B did not enable it
        await using var rawB = await RawSocket.ConnectAsync(on.Url, TestServer.AppB);
        Assert.Equal(RoomErrorCodes.TokenInvalid, Code(await rawB.RequestAsync(RoomLogin("u1", CbcToken("u1", TestServer.AppB)))));
        Assert.Equal(0, Code(await rawB.RequestAsync(RoomLogin("u1", on.Token("u1", TestServer.AppB)))));
    }

    [Fact]
    public async Task A_padding_oracle_attack_through_the_server_gets_no_signal()
    {
        await using var server = await TestServer.StartAsync(Unthrottled(("Chorus:Apps:0:AllowLegacyCbcTokens", "true")));
        string genuine = CbcToken("victim");
        var rng = new Random(20261128);

        // The CBC path is live: the genuine token logs in (so the refusals below are not an "everything CBC is off" artefact).
        await using (var check = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
            Assert.Equal(0, Code(await check.RequestAsync(RoomLogin("victim", genuine))));

        // The attack: replace the block before the last and watch for any difference between forgeries whose padding
        // is valid and forgeries whose padding is not (the test knows the secret, so it knows which is which).
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var samples = new List<(bool PaddingValid, string Answer, double Ms)>();
        for (int i = 0; i < 120; i++)
        {
            bool wantValid = rng.Next(2) == 0;
            var (forged, paddingValid) = CbcForgery.Make(genuine, TestServer.SecretA, wantValid, rng);
            Assert.Equal(wantValid, paddingValid);
            var clock = Stopwatch.StartNew();
            var answer = await raw.RequestAsync(RoomLogin("victim", forged));
            samples.Add((paddingValid, answer.GetRawText(), clock.Elapsed.TotalMilliseconds));
        }

        // One answer, byte for byte, whatever the padding was.
        string only = Assert.Single(samples.Select(s => s.Answer).Distinct());
        using (var doc = JsonDocument.Parse(only))
        {
            Assert.Equal(RoomErrorCodes.TokenInvalid, doc.RootElement.GetProperty("errorCode").GetInt32());
            Assert.Equal("token is invalid", doc.RootElement.GetProperty("error").GetString());
        }
        var valid = samples.Where(s => s.PaddingValid).Select(s => s.Ms).ToList();
        var invalid = samples.Where(s => !s.PaddingValid).Select(s => s.Ms).ToList();
        Assert.True(valid.Count >= 30 && invalid.Count >= 30, $"{valid.Count} padding-valid, {invalid.Count} padding-invalid samples");
        // Every refusal waits for the fixed floor (50 ms by default) from the start of the check, so the timing of the two
        // groups cannot separate: their medians sit on the floor. The bound is generous on purpose (loaded CI machines).
        Assert.All(samples, s => Assert.True(s.Ms >= 45, $"a refusal came after {s.Ms:F1} ms, before the 50 ms floor"));
        double gap = Math.Abs(Median(valid) - Median(invalid));
        Assert.True(gap < 20, $"median answer times differ by {gap:F1} ms (padding-valid {Median(valid):F1}, padding-invalid {Median(invalid):F1})");

        // The chat login and both renewals answer the same way too.
        var chatAnswers = new HashSet<string>();
        var roomRenewAnswers = new HashSet<string>();
        var chatRenewAnswers = new HashSet<string>();
        await using var mallory = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        Assert.Equal(0, Code(await mallory.RequestAsync(RoomLogin("mallory", server.Token("mallory")))));
        Assert.Equal(0, Code(await mallory.RequestAsync(ChatLogin("mallory", server.Token("mallory")))));
        string own = CbcToken("mallory");
        for (int i = 0; i < 16; i++)
        {
            var (forged, _) = CbcForgery.Make(genuine, TestServer.SecretA, i % 2 == 0, rng);
            chatAnswers.Add((await raw.RequestAsync(ChatLogin("victim", forged))).GetRawText());
            var (forgedOwn, _) = CbcForgery.Make(own, TestServer.SecretA, i % 2 == 0, rng);
            roomRenewAnswers.Add((await mallory.RequestAsync($$"""{"op":"renewToken","rid":7,"roomId":"r1","token":{{Json(forgedOwn)}}}""")).GetRawText());
            chatRenewAnswers.Add((await mallory.RequestAsync($$"""{"op":"chatRenewToken","rid":7,"token":{{Json(forgedOwn)}}}""")).GetRawText());
        }
        Assert.Equal(ChatErrorCodes.TokenInvalid, Code(JsonDocument.Parse(Assert.Single(chatAnswers)).RootElement));
        Assert.Equal(RoomErrorCodes.TokenInvalid, Code(JsonDocument.Parse(Assert.Single(roomRenewAnswers)).RootElement));
        Assert.Equal(ChatErrorCodes.TokenInvalid, Code(JsonDocument.Parse(Assert.Single(chatRenewAnswers)).RootElement));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    [Fact]
    public async Task Failed_logins_are_limited_per_source_address_across_connections_and_successes_do_not_count()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:FailedLoginsPerAddressPerMinute"] = "3" });
        // Many good logins from the same address: none counts.
        for (int i = 0; i < 12; i++) await server.LoggedInAsync("r1", $"good{i}");
        for (int i = 0; i < 4; i++) await server.ChatAsync($"chat{i}");

        // Exactly 3 refused tokens are checked and answered as such, each on a new connection (not a per-connection limit)...
        for (int i = 0; i < 3; i++)
        {
            await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
            Assert.Equal(RoomErrorCodes.TokenInvalid, Code(await raw.RequestAsync(RoomLogin("u1", "04guess" + i))));
        }
        // ...after that, from this address, for rooms, chat and any app: anything but a token that verifies in the
        // authenticated (GCM) form gets 1000004, uncounted: junk, an expired genuine token, another user's token.
        await using var next = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var blocked = await next.RequestAsync(RoomLogin("u1", "04guess-again"));
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(blocked));
        Assert.Equal("too many failed logins from this address or for this app; retry later", blocked.GetProperty("error").GetString());
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(await next.RequestAsync(ChatLogin("u1", "04guess-again"))));
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(await next.RequestAsync(RoomLogin("u1",
            Token04.Generate(TestServer.AppA, "u1", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddMinutes(-2))))));
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(await next.RequestAsync(RoomLogin("u1", server.Token("u2")))));
        await using var appB = await RawSocket.ConnectAsync(server.Url, TestServer.AppB);
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(await appB.RequestAsync(RoomLogin("u1", "04guess-b"))));

        // A real user behind the same address is not locked out: a genuine token still gets in, room and chat alike.
        Assert.Equal(0, Code(await next.RequestAsync(RoomLogin("u1", server.Token("u1")))));
        Assert.Equal(0, Code(await next.RequestAsync(ChatLogin("u1", server.Token("u1")))));
        Assert.Equal(0, Code(await appB.RequestAsync(RoomLogin("u1", server.Token("u1", TestServer.AppB)))));
    }

    [Fact]
    public async Task A_legacy_cbc_token_is_not_decrypted_while_logins_are_throttled()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Chorus:FailedLoginsPerAddressPerMinute"] = "2", ["Chorus:Apps:0:AllowLegacyCbcTokens"] = "true",
        });
        string cbc = CbcToken("u1");
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        for (int i = 0; i < 2; i++) Assert.Equal(RoomErrorCodes.TokenInvalid, Code(await raw.RequestAsync(RoomLogin("u1", "04guess" + i))));
        // CBC is what a padding-oracle attack needs decrypted, so a throttled address gets no CBC decryption at all...
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(await raw.RequestAsync(RoomLogin("u1", cbc))));
        // ...while a GCM token still verifies.
        Assert.Equal(0, Code(await raw.RequestAsync(RoomLogin("u1", server.Token("u1")))));
    }

    [Fact]
    public async Task Failed_logins_are_limited_per_app()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Chorus:FailedLoginsPerAppPerMinute"] = "3", ["Chorus:FailedLoginsPerAddressPerMinute"] = "100",
        });
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        Assert.Equal(RoomErrorCodes.TokenInvalid, Code(await raw.RequestAsync(RoomLogin("u1", "04guess"))));
        Assert.Equal(ChatErrorCodes.TokenInvalid, Code(await raw.RequestAsync(ChatLogin("u1", "04guess"))));
        await using (var other = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
            Assert.Equal(RoomErrorCodes.TokenInvalid, Code(await other.RequestAsync(RoomLogin("u2", server.Token("u3")))));
        await using var fresh = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, Code(await fresh.RequestAsync(RoomLogin("u1", server.Token("u3")))));
        Assert.Equal(0, Code(await fresh.RequestAsync(RoomLogin("u1", server.Token("u1")))));
        // another app is not affected
        await using var appB = await RawSocket.ConnectAsync(server.Url, TestServer.AppB);
        Assert.Equal(0, Code(await appB.RequestAsync(RoomLogin("u1", server.Token("u1", TestServer.AppB)))));
    }

    [Fact]
    public async Task Token_lifetime_cap_and_issue_time_in_the_future_are_enforced()
    {
        await using var server = await TestServer.StartAsync(Unthrottled(("Chorus:MaxTokenLifetime", "00:10:00"), ("Chorus:TokenClockSkew", "00:01:00")));
        async Task<int> Room(string user, string token)
        {
            await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
            return Code(await raw.RequestAsync(RoomLogin(user, token)));
        }
        async Task<int> Chat(string user, string token)
        {
            await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
            return Code(await raw.RequestAsync(ChatLogin(user, token)));
        }

        Assert.Equal(0, await Room("u1", server.Token("u1", lifetimeSeconds: 600)));
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Room("u1", server.Token("u1", lifetimeSeconds: 601)));
        Assert.Equal(0, await Chat("u1", server.Token("u1", lifetimeSeconds: 600)));
        Assert.Equal(ChatErrorCodes.TokenInvalid, await Chat("u1", server.Token("u1", lifetimeSeconds: 601)));
        // issued 30 s ahead (a clock running fast) passes; 5 minutes ahead does not
        Assert.Equal(0, await Room("u2", Token04.Generate(TestServer.AppA, "u2", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddSeconds(30))));
        Assert.Equal(RoomErrorCodes.TokenInvalid, await Room("u2", Token04.Generate(TestServer.AppA, "u2", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddMinutes(5))));
        Assert.Equal(ChatErrorCodes.TokenInvalid, await Chat("u2", Token04.Generate(TestServer.AppA, "u2", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddMinutes(5))));

        // renewals follow the same rules
        var client = server.NewClient();
        Assert.Equal(0, (await client.LoginRoomAsync("r1", new RoomUser("u3"), new RoomConfig { Token = server.Token("u3", lifetimeSeconds: 600) }, Ct)).ErrorCode);
        Assert.Equal(RoomErrorCodes.TokenInvalid, (await client.RenewTokenAsync("r1", server.Token("u3", lifetimeSeconds: 601), Ct)).ErrorCode);
        Assert.Equal(0, (await client.RenewTokenAsync("r1", server.Token("u3", lifetimeSeconds: 600), Ct)).ErrorCode);
    }

    [Fact]
    public async Task Room_scoped_token_is_refused_for_chat_but_works_for_its_room()
    {
        await using var server = await TestServer.StartAsync();
        string scoped = server.Token("u1", payload: RoomPayload.Create("r1"));
        var chat = server.NewChat();
        var refused = await chat.LoginAsync(new ChatUserInfo("u1"), scoped, Ct);
        Assert.Equal(ChatErrorCodes.TokenInvalid, refused.ErrorCode);
        Assert.Equal("token is invalid", refused.ErrorMessage);
        Assert.Equal(0, (await chat.LoginAsync(new ChatUserInfo("u1"), server.Token("u1"), Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.TokenInvalid, (await chat.RenewTokenAsync(scoped, Ct)).ErrorCode);
        Assert.Equal(0, (await server.NewClient().LoginRoomAsync("r1", new RoomUser("u1"), new RoomConfig { Token = scoped }, Ct)).ErrorCode);
    }

    [Theory]
    [InlineData("\u200B")] // zero width space
    [InlineData("\u200F")] // right-to-left mark
    [InlineData("\u202E")] // right-to-left override
    [InlineData("\u2066")] // left-to-right isolate
    [InlineData("\uFEFF")] // byte order mark
    [InlineData("\u00AD")] // soft hyphen (Cf)
    [InlineData("\u0007")] // a control character
    public async Task Ids_with_invisible_or_bidi_characters_are_refused_at_every_entry_point(string c)
    {
        await using var server = await TestServer.StartAsync();
        string bad = "ali" + c + "ce";
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var room = await raw.RequestAsync(RoomLogin(bad, server.Token(bad)));
        Assert.Equal(RoomErrorCodes.UserIdInvalid, Code(room));
        Assert.Contains("invisible", room.GetProperty("error").GetString());
        Assert.Equal(ChatErrorCodes.BadParameter, Code(await raw.RequestAsync(ChatLogin(bad, server.Token(bad)))));

        // logged in properly, the same IDs are refused as targets
        Assert.Equal(0, Code(await raw.RequestAsync(RoomLogin("alice", server.Token("alice")))));
        Assert.Equal(0, Code(await raw.RequestAsync(ChatLogin("alice", server.Token("alice")))));
        Assert.Equal(RoomErrorCodes.UserIdInvalid, Code(await raw.RequestAsync(
            $$"""{"op":"customCommand","rid":8,"roomId":"r1","content":"hi","toUserIds":["bob",{{Json(bad)}}]}""")));
        Assert.Equal(ChatErrorCodes.BadParameter, Code(await raw.RequestAsync(
            $$$"""{"op":"sendMessage","rid":9,"convType":0,"convId":{{{Json(bad)}}},"message":{"type":1,"text":"hi","localMessageId":5}}""")));
        Assert.Equal(ChatErrorCodes.BadParameter, Code(await raw.RequestAsync(
            $$$"""{"op":"sendMessage","rid":10,"convType":2,"convId":{{{Json("g" + c)}}},"message":{"type":1,"text":"hi","localMessageId":6}}""")));
        // and by the server API
        var api = await server.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", bad));
        Assert.Equal(ServerApiCodes.BadParameter, api.GetProperty("Code").GetInt32());
    }

    [Fact]
    public async Task Chat_token_warns_before_expiry_a_renewed_login_stays_and_an_unrenewed_one_is_logged_out()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:TokenWillExpireNotice"] = "00:00:02" });
        var keeper = server.NewChat();
        var keeperWarnings = new EventSink<int>();
        var keeperStates = new EventSink<ChatConnectionStateChanged>();
        keeper.TokenWillExpire += keeperWarnings.Handler;
        keeper.ConnectionStateChanged += keeperStates.Handler;
        Assert.Equal(0, (await keeper.LoginAsync(new ChatUserInfo("keeper"), server.Token("keeper", lifetimeSeconds: 4), Ct)).ErrorCode);

        var brief = server.NewChat();
        var briefWarnings = new EventSink<int>();
        var briefStates = new EventSink<ChatConnectionStateChanged>();
        brief.TokenWillExpire += briefWarnings.Handler;
        brief.ConnectionStateChanged += briefStates.Handler;
        Assert.Equal(0, (await brief.LoginAsync(new ChatUserInfo("brief"), server.Token("brief", lifetimeSeconds: 4), Ct)).ErrorCode);

        // The notice comes once the time left is within TokenWillExpireNotice.
        Assert.InRange(await keeperWarnings.NextAsync(TimeSpan.FromSeconds(5)), 1, 2);
        Assert.InRange(await briefWarnings.NextAsync(TimeSpan.FromSeconds(5)), 1, 2);
        // A bad renewal changes nothing; a good one replaces the expiry.
        Assert.Equal(ChatErrorCodes.TokenInvalid, (await keeper.RenewTokenAsync(server.Token("brief"), Ct)).ErrorCode);
        Assert.Equal(ChatErrorCodes.TokenExpired, (await keeper.RenewTokenAsync(
            Token04.Generate(TestServer.AppA, "keeper", TestServer.SecretA, 60, now: DateTimeOffset.UtcNow.AddHours(-1)), Ct)).ErrorCode);
        Assert.Equal(0, (await keeper.RenewTokenAsync(server.Token("keeper"), Ct)).ErrorCode);

        // The unrenewed login is logged out with 6000106 once its token expires (docs/protocol.md: chatKickedOut)...
        var ended = await briefStates.NextAsync(s => s.State == ChatConnectionState.Disconnected, TimeSpan.FromSeconds(8));
        Assert.Equal(ChatConnectionEvent.TokenExpired, ended.Event);
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await brief.SendMessageAsync(ChatMessage.Text("late"), "keeper", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        // ...and may log in again with a new token.
        Assert.Equal(0, (await brief.LoginAsync(new ChatUserInfo("brief"), server.Token("brief"), Ct)).ErrorCode);

        // The renewed one is still in, past its first token's expiry.
        await Task.Delay(1000, Ct);
        Assert.Equal(0, (await keeper.SendMessageAsync(ChatMessage.Text("still here"), "brief", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        while (keeperStates.TryTake(out var change))
            Assert.NotEqual(ChatConnectionState.Disconnected, change!.State);
    }
}
