using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class CliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Token_prints_a_token_the_server_accepts_and_refuses_bad_input()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("token", "--app-id", "1001", "--secret", TestServer.SecretA, "--user", "alice", "--room", "r1", "--expire", "120");
        Assert.Equal(0, code);
        var check = Token04.Verify(stdout.Trim(), 1001, "alice", TestServer.SecretA, DateTimeOffset.UtcNow, "r1");
        Assert.Equal(Token04Status.Valid, check.Status);
        Assert.InRange(check.Claims!.ExpiresAt - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 100, 120);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(stdout.Trim(), 1001, "alice", TestServer.SecretA, DateTimeOffset.UtcNow, "r2").Status);

        var zeroApp = await CliProcess.RunAsync("token", "--app-id", "0", "--secret", TestServer.SecretA, "--user", "alice");
        Assert.Equal((2, ""), (zeroApp.ExitCode, zeroApp.Stdout));
        Assert.Contains("--app-id must be a whole number from 1 to 4294967295 (got '0')", zeroApp.Stderr);
        var shortSecret = await CliProcess.RunAsync("token", "--app-id", "1", "--secret", "short", "--user", "alice");
        Assert.Equal(2, shortSecret.ExitCode);
        Assert.Contains("32 bytes", shortSecret.Stderr);
        var badLifetime = await CliProcess.RunAsync("token", "--app-id", "1", "--secret", TestServer.SecretA, "--user", "alice", "--expire", "0");
        Assert.Equal(2, badLifetime.ExitCode);
        // The longest lifetime is 2^31-1 s: at the limit a token that verifies, one over refused (it would overflow the expiry).
        var longest = await CliProcess.RunAsync("token", "--app-id", "1", "--secret", TestServer.SecretA, "--user", "alice", "--expire", "2147483647");
        Assert.Equal(0, longest.ExitCode);
        Assert.Contains("warning: a lifetime over 86400 s (24 h) is refused by a server with the default Chorus:MaxTokenLifetime", longest.Stderr);
        var day = await CliProcess.RunAsync("token", "--app-id", "1", "--secret", TestServer.SecretA, "--user", "alice", "--expire", "86400");
        Assert.Equal((0, ""), (day.ExitCode, day.Stderr));
        Assert.Equal(Token04Status.Valid, Token04.Verify(longest.Stdout.Trim(), 1, "alice", TestServer.SecretA, DateTimeOffset.UtcNow).Status);
        var tooLong = await CliProcess.RunAsync("token", "--app-id", "1", "--secret", TestServer.SecretA, "--user", "alice", "--expire", "2147483648");
        Assert.Equal(2, tooLong.ExitCode);
        Assert.Contains("--expire must be a whole number from 1 to 2147483647", tooLong.Stderr);
        var noUser = await CliProcess.RunAsync("token", "--app-id", "1", "--secret", TestServer.SecretA, "--user", "");
        Assert.Equal(2, noUser.ExitCode);
    }

    [Fact]
    public async Task Serve_prints_its_url_and_app_and_call_talks_to_it()
    {
        await using var serve = CliProcess.Start("serve", "--port", "0", "--app", $"{TestServer.AppA}:{TestServer.SecretA}", "--data", Path.Combine(Path.GetTempPath(), "chorus-cli-test-" + Guid.NewGuid().ToString("N")));
        string urlLine = await serve.NextLineAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("url: http://127.0.0.1:", urlLine);
        Assert.Equal($"appId: {TestServer.AppA}", await serve.NextLineAsync());
        string url = urlLine["url: ".Length..];

        var (code, stdout, _) = await CliProcess.RunAsync("call", "DescribeUserNum", "RoomId[]=r1", "RoomId[]=r2", "--url", url, "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA);
        Assert.Equal(0, code);
        Assert.Contains("\"UserCountList\":[{\"RoomId\":\"r1\",\"UserCount\":0,\"AdminUserCount\":0},{\"RoomId\":\"r2\"", stdout);

        var wrong = await CliProcess.RunAsync("call", "DescribeUserNum", "RoomId[]=r1", "--url", url, "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretB);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"\"Code\":{ServerApiCodes.SignatureInvalid}", wrong.Stdout);
        Assert.DoesNotContain(TestServer.SecretA, serve.Stderr);
    }

    [Fact]
    public async Task Serve_without_apps_prints_the_development_app_and_rejects_a_bad_app_flag()
    {
        await using (var serve = CliProcess.Start("serve", "--port", "0", "--data", Path.Combine(Path.GetTempPath(), "chorus-cli-test-" + Guid.NewGuid().ToString("N"))))
        {
            Assert.StartsWith("url: http://127.0.0.1:", await serve.NextLineAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("appId: 1", await serve.NextLineAsync());
            Assert.Equal("serverSecret: chorus-dev-secret-do-not-deploy!", await serve.NextLineAsync());
        }
        var bad = await CliProcess.RunAsync("serve", "--port", "0", "--app", "notanumber:secret");
        Assert.Equal(2, bad.ExitCode);
        var shortSecret = await CliProcess.RunAsync("serve", "--port", "0", "--app", "7:tooshort");
        Assert.Equal(2, shortSecret.ExitCode);
        Assert.Contains("32 ASCII characters", shortSecret.Stderr);
        Assert.DoesNotContain("tooshort", shortSecret.Stderr);
    }

    [Fact]
    public async Task Listen_prints_loggedIn_first_then_one_json_line_per_event_and_exits_3_when_kicked()
    {
        await using var server = await TestServer.StartAsync();
        await server.LoggedInAsync("r1", "early");
        await using var listen = CliProcess.Start("listen", "--url", server.Url.ToString().TrimEnd('/'), "--app-id", TestServer.AppA.ToString(),
            "--secret", TestServer.SecretA, "--room", "r1", "--user", "cli");
        var first = await listen.NextJsonAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("loggedIn", first.GetProperty("event").GetString());
        Assert.Equal("early", first.GetProperty("users")[0].GetProperty("userId").GetString());

        // The SDK reports the users already there as an "add" update right after login, as ZEGO's does.
        var initial = await listen.NextEventAsync("roomUserUpdate");
        Assert.Equal(("add", "early"), (initial.GetProperty("updateType").GetString(), initial.GetProperty("users")[0].GetProperty("userId").GetString()));
        var joiner = await server.LoggedInAsync("r1", "late");
        var update = await listen.NextEventAsync("roomUserUpdate");
        Assert.Equal(("add", "late"), (update.GetProperty("updateType").GetString(), update.GetProperty("users")[0].GetProperty("userId").GetString()));

        Assert.Equal(0, (await joiner.SendCustomCommandAsync("r1", "ping \"quoted\" ☃", [new RoomUser("cli")], Ct)).ErrorCode);
        var cmd = await listen.NextEventAsync("customCommand");
        Assert.Equal(("r1", "late", "ping \"quoted\" ☃"), (cmd.GetProperty("roomId").GetString(), cmd.GetProperty("fromUserId").GetString(), cmd.GetProperty("command").GetString()));

        Assert.Equal(0, (await joiner.SendBroadcastMessageAsync("r1", "news", Ct)).ErrorCode);
        var broadcast = await listen.NextEventAsync("broadcastMessage");
        Assert.Equal("news", broadcast.GetProperty("message").GetString());
        Assert.True(broadcast.GetProperty("messageId").GetInt64() > 0);

        Assert.Equal(0, (await joiner.SendBarrageMessageAsync("r1", "wow", Ct)).ErrorCode);
        Assert.Equal("wow", (await listen.NextEventAsync("barrageMessage")).GetProperty("message").GetString());

        await server.CallAsync("KickoutUser", ("RoomId", "r1"), ("UserId[]", "cli"), ("CustomReason", "bye"));
        var state = await listen.NextEventAsync("roomStateChanged");
        Assert.Equal(("KickOut", RoomErrorCodes.KickedByServer), (state.GetProperty("reason").GetString(), state.GetProperty("errorCode").GetInt32()));
        Assert.Equal(3, await listen.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Listen_with_a_bad_token_prints_loginFailed_and_exits_non_zero()
    {
        await using var server = await TestServer.StartAsync();
        var forged = Token04.Generate(TestServer.AppA, "cli", TestServer.SecretB, 3600);
        await using var listen = CliProcess.Start("listen", "--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(),
            "--token", forged, "--room", "r1", "--user", "cli");
        var line = await listen.NextJsonAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("loginFailed", RoomErrorCodes.TokenInvalid), (line.GetProperty("event").GetString(), line.GetProperty("errorCode").GetInt32()));
        Assert.Equal(1, await listen.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }
}

public class CliChatTests
{
    [Fact]
    public async Task Chat_reads_json_commands_and_prints_results_and_events()
    {
        await using var server = await TestServer.StartAsync();
        string[] common = ["--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA];
        await using var bob = CliProcess.Start(["chat", .. common, "--user", "bob"]);
        Assert.Equal("loggedIn", (await bob.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30))).GetProperty("event").GetString());
        await using var alice = CliProcess.Start(["chat", .. common, "--user", "alice"]);
        await alice.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));

        await alice.WriteLineAsync("""{"op":"send","type":"peer","to":"bob","text":"hi bob","localId":42}""");
        var sent = await alice.NextResultAsync("send");
        Assert.Equal(0, sent.GetProperty("errorCode").GetInt32());
        var message = sent.GetProperty("message");
        Assert.Equal((1, 42L), (message.GetProperty("conversationSeq").GetInt32(), message.GetProperty("localMessageId").GetInt64()));
        await alice.WriteLineAsync("""{"op":"send","type":"peer","to":"bob","text":"hi bob","localId":42}""");
        Assert.Equal(message.GetProperty("messageId").GetInt64(), (await alice.NextResultAsync("send")).GetProperty("message").GetProperty("messageId").GetInt64());

        var received = await bob.NextEventAsync("peerMessage");
        Assert.Equal(("hi bob", "alice"), (received.GetProperty("message").GetProperty("text").GetString(), received.GetProperty("message").GetProperty("conversationId").GetString()));
        Assert.Equal(1, (await bob.NextEventAsync("unreadTotal")).GetProperty("count").GetInt32());

        await bob.WriteLineAsync("""{"op":"history","type":"peer","id":"alice","count":10,"reverse":false,"next":null}""");
        var history = await bob.NextResultAsync("history");
        Assert.Equal(1, history.GetProperty("messages").GetArrayLength());
        await bob.WriteLineAsync("""{"op":"markRead","type":"peer","id":"alice"}""");
        Assert.Equal(0, (await bob.NextResultAsync("markRead")).GetProperty("errorCode").GetInt32());
        await bob.WriteLineAsync("""{"op":"conversations"}""");
        var conversations = await bob.NextResultAsync("conversations");
        Assert.Equal(0, conversations.GetProperty("conversations")[0].GetProperty("unreadCount").GetInt32());
        await bob.WriteLineAsync("""{"op":"createGroup","id":"g1","members":["alice"]}""");
        Assert.Equal(2, (await bob.NextResultAsync("createGroup")).GetProperty("group").GetProperty("memberCount").GetInt32());
        await bob.WriteLineAsync("""{"op":"revoke","messageId":1}""");
        Assert.Equal(ChatErrorCodes.TargetMissing, (await bob.NextResultAsync("revoke")).GetProperty("errorCode").GetInt32());
        await bob.WriteLineAsync("""not json""");
        Assert.Equal(ChatErrorCodes.BadParameter, (await bob.NextResultAsync("?")).GetProperty("errorCode").GetInt32());
        await bob.WriteLineAsync("""{"op":"joinGroup","id":"no such group!"}""");
        Assert.Equal(ChatErrorCodes.BadParameter, (await bob.NextResultAsync("joinGroup")).GetProperty("errorCode").GetInt32());

        bob.CloseInput();
        Assert.Equal(0, await bob.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Chat_with_a_bad_token_prints_loginFailed_and_exits_1()
    {
        await using var server = await TestServer.StartAsync();
        await using var chat = CliProcess.Start("chat", "--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--token", "04nope", "--user", "bob");
        var line = await chat.NextJsonAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("loginFailed", ChatErrorCodes.TokenInvalid), (line.GetProperty("event").GetString(), line.GetProperty("errorCode").GetInt32()));
        Assert.Equal(1, await chat.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Serve_appends_app_entries_after_apps_configured_elsewhere()
    {
        await using var serve = CliProcess.Start("serve", "--port", "0", "--data", Path.Combine(Path.GetTempPath(), "chorus-cli-test-" + Guid.NewGuid().ToString("N")),
            $"--Chorus:Apps:0:AppId={TestServer.AppB}", $"--Chorus:Apps:0:ServerSecret={TestServer.SecretB}", "--app", $"{TestServer.AppA}:{TestServer.SecretA}");
        string url = (await serve.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
        Assert.Equal($"appId: {TestServer.AppB}", await serve.NextLineAsync());
        Assert.Equal($"appId: {TestServer.AppA}", await serve.NextLineAsync());
        foreach (var (app, secret) in new[] { (TestServer.AppA, TestServer.SecretA), (TestServer.AppB, TestServer.SecretB) })
            Assert.Equal(0, (await CliProcess.RunAsync("call", "DescribeUserNum", "RoomId[]=r1", "--url", url, "--app-id", app.ToString(), "--secret", secret)).ExitCode);
    }

    [Fact]
    public async Task Call_signs_with_a_given_SignatureNonce_and_Timestamp_so_a_replay_can_be_reproduced()
    {
        await using var server = await TestServer.StartAsync();
        string url = server.Url.ToString(), nonce = "fixednonce" + Guid.NewGuid().ToString("N")[..8];
        string[] Args(string n, long ts) => ["call", "DescribeUserNum", "RoomId[]=r1", $"SignatureNonce={n}", $"Timestamp={ts}", "--url", url, "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA];
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var first = await CliProcess.RunAsync(Args(nonce, now));
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var replay = await CliProcess.RunAsync(Args(nonce, now));
        Assert.Equal(1, replay.ExitCode);
        Assert.Contains("SignatureNonce was already used (replayed request)", replay.Stdout);
        // A timestamp too far from the server's clock is the server's to refuse: it was sent as given.
        var stale = await CliProcess.RunAsync(Args(nonce + "x", now - 3600));
        Assert.Equal(1, stale.ExitCode);
        Assert.DoesNotContain("Signature does not match", stale.Stdout);
    }

    [Fact]
    public async Task A_bad_RoomId_or_UserId_is_named_by_its_own_text_before_connecting()
    {
        // Nothing listens on port 1: these are refused by the SDK's own checks, each code with its own text.
        string url = "http://127.0.0.1:1", secret = TestServer.SecretA;
        var cases = new (string Because, string[] Args, int Code, string Text)[]
        {
            ("UserId over 64 bytes", ["listen", "--room", "r1", "--user", new string('u', 65)], RoomErrorCodes.UserIdTooLong, "UserId is longer than 64 bytes"),
            ("RoomId over 128 bytes", ["listen", "--room", new string('r', 129), "--user", "u"], RoomErrorCodes.RoomIdTooLong, "RoomId is longer than 128 bytes"),
            ("RoomId with a space", ["listen", "--room", "a room", "--user", "u"], RoomErrorCodes.RoomIdInvalid, "RoomId holds a character outside the allowed set"),
            ("RoomId empty", ["listen", "--room", "", "--user", "u"], RoomErrorCodes.RoomIdEmpty, "RoomId is empty"),
            ("UserId with a zero-width space", ["listen", "--room", "r1", "--user", "a\u200Bb"], RoomErrorCodes.UserIdInvalid, "UserId holds a control, invisible or direction-changing character"),
            ("chat UserId with a zero-width space", ["chat", "--user", "a\u200Bb"], ChatErrorCodes.BadParameter, "UserId holds a control, invisible or direction-changing character"),
        };
        var runs = await Task.WhenAll(cases.Select(c => CliProcess.RunAsync([.. c.Args, "--url", url, "--app-id", "1", "--secret", secret])));
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.True(runs[i].ExitCode == 1, $"{cases[i].Because}: exit {runs[i].ExitCode} {runs[i].Stderr}");
            var line = System.Text.Json.JsonDocument.Parse(runs[i].Stdout.Split('\n')[0]).RootElement;
            Assert.Equal("loginFailed", line.GetProperty("event").GetString());
            Assert.Equal(cases[i].Code, line.GetProperty("errorCode").GetInt32());
            Assert.StartsWith(cases[i].Text, line.GetProperty("errorMessage").GetString());
        }
    }

    [Fact]
    public async Task Server_api_answers_keep_an_apostrophe_and_say_1_call_per_second()
    {
        await using var server = await TestServer.StartAsync();
        var (code, stdout, _) = await CliProcess.RunAsync("call", "DescribeUserNum", "RoomId[]=it's", "--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA);
        Assert.Equal(0, code);
        Assert.Contains("\"RoomId\":\"it's\"", stdout);
        Assert.DoesNotContain("\\u0027", stdout);

        // CloseRoom is limited to 1 per second (ZEGO's rate): the second of two at once is refused, in the singular.
        var answers = new List<string>();
        for (int i = 0; i < 2; i++)
            answers.Add((await server.CallAsync("CloseRoom", ("RoomId", "r1"))).GetProperty("Message").GetString()!);
        Assert.Contains("CloseRoom is limited to 1 call per second per AppId", answers);
    }

    [Fact]
    public async Task Serve_help_shows_settings_in_its_usage_line()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("serve", "--help");
        Assert.Equal(0, code);
        Assert.Contains("chorus serve [options] [--Chorus:KEY=VALUE]... [--Logging:KEY=VALUE]...", stdout);
        Assert.DoesNotContain("additional arguments", stdout);
    }

    [Fact]
    public async Task Server_api_names_each_RoomId_and_UserId_problem_by_its_own_text()
    {
        await using var server = await TestServer.StartAsync();
        var cases = new (string Because, (string, string)[] Parameters, string Text)[]
        {
            ("RoomId with a space", [("RoomId", "a room"), ("FromUserId", "svc"), ("MessageContent", "x")], "RoomId holds a character outside the allowed set"),
            ("RoomId over 128 bytes", [("RoomId", new string('r', 129)), ("FromUserId", "svc"), ("MessageContent", "x")], "RoomId is longer than 128 bytes"),
            ("RoomId empty", [("RoomId", ""), ("FromUserId", "svc"), ("MessageContent", "x")], "RoomId is empty"),
            ("FromUserId over 64 bytes", [("RoomId", "r1"), ("FromUserId", new string('u', 65)), ("MessageContent", "x")], "FromUserId is longer than 64 bytes"),
            ("FromUserId with a zero-width space", [("RoomId", "r1"), ("FromUserId", "a\u200Bb"), ("MessageContent", "x")], "FromUserId holds a control, invisible or direction-changing character"),
        };
        foreach (var c in cases)
        {
            var answer = await server.CallAsync("SendCustomCommand", c.Parameters);
            Assert.True(answer.GetProperty("Code").GetInt32() != 0, c.Because);
            Assert.StartsWith(c.Text, answer.GetProperty("Message").GetString());
        }
        // At the limits the same parameters pass.
        var ok = await server.CallAsync("SendCustomCommand", ("RoomId", new string('r', 128)), ("FromUserId", new string('u', 64)), ("MessageContent", "x"));
        Assert.Equal(0, ok.GetProperty("Code").GetInt32());
    }
}
