using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

/// <summary>The exit codes the README documents for each command, and the one-line refusals of bad arguments and settings.</summary>
public class CliExitCodeTests
{
    private static string NewDataDir() => Path.Combine(Path.GetTempPath(), "chorus-cli-test-" + Guid.NewGuid().ToString("N"));

    private static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Asserts exit code 2, nothing on stdout, and exactly one line on stderr; returns that line.</summary>
    private static string AssertRefused((int ExitCode, string Stdout, string Stderr) run, string because)
    {
        Assert.True(run.ExitCode == 2, $"{because}: exit code {run.ExitCode}, stderr: {run.Stderr}");
        Assert.Equal("", run.Stdout);
        var lines = Lines(run.Stderr);
        Assert.True(lines.Length == 1, $"{because}: expected one stderr line, got {lines.Length}: {run.Stderr}");
        Assert.DoesNotContain("System.", lines[0]);
        Assert.DoesNotContain("   at ", lines[0]);
        return lines[0];
    }

    [Fact]
    public async Task Every_command_refuses_bad_arguments_with_one_plain_line_and_exit_2()
    {
        string secret = TestServer.SecretA;
        var cases = new (string Because, string[] Args, string Expect)[]
        {
            ("unknown command", ["frobnicate"], "frobnicate"),
            ("token: missing option", ["token", "--app-id", "1", "--secret", secret], "--user"),
            ("token: AppId not a number", ["token", "--app-id", "x", "--secret", secret, "--user", "u"], "--app-id must be a whole number from 1 to 4294967295"),
            ("token: AppId too large", ["token", "--app-id", "4294967296", "--secret", secret, "--user", "u"], "--app-id"),
            ("token: lifetime not a number", ["token", "--app-id", "1", "--secret", secret, "--user", "u", "--expire", "soon"], "--expire"),
            ("listen: missing --room", ["listen", "--url", "http://127.0.0.1:1", "--app-id", "1", "--secret", secret, "--user", "u"], "--room"),
            ("listen: both --token and --secret", ["listen", "--url", "http://127.0.0.1:1", "--app-id", "1", "--secret", secret, "--token", "t", "--room", "r", "--user", "u"], "exactly one of --token and --secret"),
            ("listen: relative url", ["listen", "--url", "nowhere", "--app-id", "1", "--secret", secret, "--room", "r", "--user", "u"], "--url"),
            ("chat: missing --user", ["chat", "--url", "http://127.0.0.1:1", "--app-id", "1", "--secret", secret], "--user"),
            ("chat: neither --token nor --secret", ["chat", "--url", "http://127.0.0.1:1", "--app-id", "1", "--user", "u"], "exactly one of --token and --secret"),
            ("chat: AppId 0", ["chat", "--url", "http://127.0.0.1:1", "--app-id", "0", "--secret", secret, "--user", "u"], "--app-id"),
            ("call: relative url", ["call", "DescribeUserNum", "--url", "nowhere", "--app-id", "1", "--secret", secret], "--url"),
            ("call: not http", ["call", "DescribeUserNum", "--url", "ftp://127.0.0.1:1", "--app-id", "1", "--secret", secret], "--url must be an absolute http(s) address"),
            ("chat: not http or ws", ["chat", "--url", "ftp://127.0.0.1:1", "--app-id", "1", "--secret", secret, "--user", "u"], "--url must be an absolute http(s) or ws(s) address"),
            ("call: parameter without =", ["call", "DescribeUserNum", "RoomId", "--url", "http://127.0.0.1:1", "--app-id", "1", "--secret", secret], "key=value"),
            ("serve: port out of range", ["serve", "--port", "70000"], "--port must be a whole number from 0 to 65535"),
            ("serve: port not a number", ["serve", "--port", "http"], "--port"),
        };
        var runs = await Task.WhenAll(cases.Select(c => CliProcess.RunAsync(c.Args)));
        for (int i = 0; i < cases.Length; i++)
            Assert.Contains(cases[i].Expect, AssertRefused(runs[i], cases[i].Because));
    }

    [Fact]
    public async Task Serve_refuses_each_bad_setting_with_one_line_and_exit_2()
    {
        string data = NewDataDir();
        var cases = new (string Because, string[] Args, string Expect)[]
        {
            ("a value that does not convert", ["--Chorus:HeartbeatTimeout=banana"], "Chorus:HeartbeatTimeout: 'banana' is not a duration"),
            ("a misspelled key", ["--Chorus:HeartbeatTimout=00:01:00"], "Chorus:HeartbeatTimout: unknown setting (did you mean Chorus:HeartbeatTimeout?)"),
            ("a misspelled app key", ["--Chorus:Apps:0:AppId=7", "--Chorus:Apps:0:ServerSecrt=x"], "Chorus:Apps:0:ServerSecrt: unknown setting"),
            ("an app entry that is not numbered", ["--Chorus:Apps:first:AppId=7"], "Chorus:Apps:first:AppId: unknown setting"),
            ("an app id that is not a number", ["--Chorus:Apps:0:AppId=seven"], "Chorus:Apps:0:AppId: 'seven' is not a whole number"),
            ("a rate for an action that does not exist", ["--Chorus:ServerApiRatePerSecond:SendCustomCommands=5"], "unknown setting (did you mean Chorus:ServerApiRatePerSecond:SendCustomCommand?)"),
            ("a rate that is not a number", ["--Chorus:ServerApiRatePerSecond:CloseRoom=fast"], "Chorus:ServerApiRatePerSecond:CloseRoom: 'fast'"),
            ("a port setting out of range", ["--Chorus:Port=70000"], "Chorus:Port must be from 0 to 65535"),
            ("a setting under a value", ["--Chorus:MaxFrameBytes:Limit=5"], "Chorus:MaxFrameBytes:Limit: unknown setting"),
            ("a value the validator refuses (one under the limit)", ["--Chorus:MaxFrameBytes=2047"], "Chorus:MaxFrameBytes must be between 2048 and 1048576"),
            ("a database outside the locked data directory", ["--Chorus:DatabaseFileName=../other/chorus.db"], "Chorus:DatabaseFileName must be a plain file name inside DataDirectory"),
            ("an absolute database path", ["--Chorus:DatabaseFileName=/tmp/chorus.db"], "Chorus:DatabaseFileName must be a plain file name inside DataDirectory"),
            ("a cluster without a shared chat store", ["--redis", "127.0.0.1:1"], "--redis (Chorus:Redis) needs --postgres: on the embedded store each node keeps its own chat and chat would split across nodes: give --postgres CONNSTR too"),
            ("an unknown flag", ["--verbose"], "unknown option '--verbose'"),
            ("a stray argument", ["now"], "unexpected argument 'now'"),
            ("a setting without a value", ["--Chorus:MaxFrameBytes"], "needs a value"),
        };
        var runs = await Task.WhenAll(cases.Select(c => CliProcess.RunAsync(["serve", "--port", "0", "--data", data, .. c.Args])));
        for (int i = 0; i < cases.Length; i++)
        {
            string line = AssertRefused(runs[i], cases[i].Because);
            Assert.StartsWith("chorus serve: ", line);
            Assert.Contains(cases[i].Expect, line);
        }
        // Values of unknown keys (a misspelled secret, say) are never echoed.
        Assert.DoesNotContain("=x", runs[2].Stderr);
    }

    [Fact]
    public async Task Serve_accepts_valid_settings_given_any_way_including_exactly_at_the_limit()
    {
        await using var serve = CliProcess.Start("serve", "--port", "0", "--data", NewDataDir(), "--app", $"{TestServer.AppA}:{TestServer.SecretA}",
            "--Chorus:MaxFrameBytes=2048", "--chorus:heartbeattimeout", "00:01:00", "--Chorus:ServerApiRatePerSecond:SendCustomCommand=5",
            "--Chorus:Apps:0:CallbackUrl=http://127.0.0.1:9/cb", "--Chorus:Apps:0:CallbackSecret=cb-secret", "--Logging:LogLevel:Default=Warning");
        Assert.StartsWith("url: http://127.0.0.1:", await serve.NextLineAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal($"appId: {TestServer.AppA}", await serve.NextLineAsync());
    }

    [Fact]
    public async Task Serve_refuses_a_host_that_is_not_an_address_and_keeps_the_development_app_on_loopback()
    {
        string data = NewDataDir();
        string[] badHosts = ["999.1.1.1", "127.1", "example.invalid", ""];
        var bad = await Task.WhenAll(badHosts.Select(h => CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--host", h)));
        for (int i = 0; i < badHosts.Length; i++)
            Assert.Contains("--host must be an IP address", AssertRefused(bad[i], $"host '{badHosts[i]}'"));

        // The development app beyond loopback: refused before anything listens, and its secret is not printed.
        var devOnNetwork = await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--host", "0.0.0.0");
        string line = AssertRefused(devOnNetwork, "development app on 0.0.0.0");
        Assert.Contains("--allow-dev-app-on-network", line);
        Assert.DoesNotContain(ChorusDevSecret, devOnNetwork.Stderr);
        var devFromSettings = await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--Chorus:Host=::");
        Assert.Contains("--allow-dev-app-on-network", AssertRefused(devFromSettings, "development app on :: (from a setting)"));

        // With the flag the check passes; this address is not on this machine (TEST-NET-1), so the bind itself fails, in one line.
        var allowed = await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--host", "192.0.2.1", "--allow-dev-app-on-network");
        string bindError = AssertRefused(allowed, "a bind failure");
        Assert.DoesNotContain("development app", bindError);
        Assert.Contains("192.0.2.1", bindError);

        // Kestrel cannot pick a free port for a name; said in one line rather than a crash.
        var localhostAnyPort = await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--host", "localhost");
        Assert.Contains("not localhost", AssertRefused(localhostAnyPort, "localhost with port 0"));

        // Loopback is fine for the development app.
        await using var local = CliProcess.Start("serve", "--port", "0", "--data", data, "--host", "127.0.0.1");
        Assert.StartsWith("url: http://127.0.0.1:", await local.NextLineAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("appId: 1", await local.NextLineAsync());
    }

    private const string ChorusDevSecret = "chorus-dev-secret-do-not-deploy!";

    [Fact]
    public async Task Serve_checks_settings_from_appsettings_json_too_and_refuses_kestrel_endpoints()
    {
        string dir = Directory.CreateTempSubdirectory("chorus-settings-test-").FullName;
        try
        {
            string data = Path.Combine(dir, "data");
            await File.WriteAllTextAsync(Path.Combine(dir, "appsettings.json"), """{"Chorus":{"SendQueueCapacty":64}}""", TestContext.Current.CancellationToken);
            var misspelled = await CliProcess.RunInAsync(dir, "serve", "--port", "0", "--data", data);
            Assert.Contains("Chorus:SendQueueCapacty: unknown setting (did you mean Chorus:SendQueueCapacity?)", AssertRefused(misspelled, "misspelled key in appsettings.json"));

            // Endpoints from configuration would listen wherever they say, past the host and development-app checks.
            await File.WriteAllTextAsync(Path.Combine(dir, "appsettings.json"), """{"Kestrel":{"Endpoints":{"All":{"Url":"http://0.0.0.0:0"}}}}""", TestContext.Current.CancellationToken);
            var endpoints = await CliProcess.RunInAsync(dir, "serve", "--port", "0", "--data", data);
            Assert.Contains("Kestrel:Endpoints settings are not supported", AssertRefused(endpoints, "Kestrel endpoints"));
            Assert.DoesNotContain(ChorusDevSecret, endpoints.Stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_exits_2_with_one_line_and_the_running_one_exits_0_on_ctrl_c()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGINT needs a POSIX system");
        await using var first = CliProcess.Start("serve", "--port", "0", "--data", NewDataDir());
        string url = (await first.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
        string port = new Uri(url).Port.ToString();
        var second = await CliProcess.RunAsync("serve", "--port", port, "--data", NewDataDir());
        Assert.Contains(port, AssertRefused(second, "port in use"));

        first.Interrupt();
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Bench_outside_a_checkout_exits_2()
    {
        string empty = Directory.CreateTempSubdirectory("chorus-bench-test-").FullName;
        try
        {
            var run = await CliProcess.RunInAsync(empty, "bench", "--smoke");
            Assert.Contains("run it inside a Chorus source checkout", AssertRefused(run, "bench outside a checkout"));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task Listen_exits_0_on_ctrl_c()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGINT needs a POSIX system");
        await using var server = await TestServer.StartAsync();
        await using var listen = CliProcess.Start("listen", "--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(),
            "--secret", TestServer.SecretA, "--room", "r1", "--user", "cli");
        Assert.Equal("loggedIn", (await listen.NextJsonAsync(TimeSpan.FromSeconds(30))).GetProperty("event").GetString());
        listen.Interrupt();
        Assert.Equal(0, await listen.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Chat_exits_0_on_ctrl_c_and_3_when_the_same_user_logs_in_elsewhere()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGINT needs a POSIX system");
        await using var server = await TestServer.StartAsync();
        string[] common = ["chat", "--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA, "--user", "carol"];
        await using var first = CliProcess.Start(common);
        await first.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));
        await using var second = CliProcess.Start(common);
        await second.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));

        var kicked = await first.NextEventAsync("connectionStateChanged");
        if (kicked.GetProperty("state").GetString() == "Connected") kicked = await first.NextEventAsync("connectionStateChanged");
        Assert.Equal(("Disconnected", "KickedOut"), (kicked.GetProperty("state").GetString(), kicked.GetProperty("reason").GetString()));
        Assert.Equal(3, await first.WaitForExitAsync(TimeSpan.FromSeconds(15)));

        second.Interrupt();
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Chat_refuses_a_command_with_a_wrongly_typed_or_unknown_field_and_sends_nothing()
    {
        await using var server = await TestServer.StartAsync();
        string[] common = ["--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA];
        await using var alice = CliProcess.Start(["chat", .. common, "--user", "alice"]);
        await alice.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));

        (string Command, string Field)[] refused =
        [
            ("""{"op":"send","type":"peer","to":"bob","text":"one","localId":"42"}""", "localId"),
            ("""{"op":"send","type":"peer","to":"bob","text":"one","localId":4.5}""", "localId"),
            ("""{"op":"send","type":"peer","to":"bob","text":7}""", "text"),
            ("""{"op":"send","type":"peer","to":["bob"],"text":"one"}""", "to"),
            ("""{"op":"send","type":"peer","to":"bob","text":"one","receipt":"yes"}""", "receipt"),
            ("""{"op":"send","type":"peer","to":"bob","text":"one","priority":4}""", "priority"),
            ("""{"op":"send","type":"peer","to":"bob","txt":"one"}""", "txt"),
            ("""{"op":"send","type":1,"to":"bob","text":"one"}""", "type"),
            ("""{"op":"delete","type":"peer","id":"bob","messageIds":[1,"2"]}""", "messageIds[1]"),
            ("""{"op":"history","type":"peer","id":"bob","count":"10"}""", "count"),
        ];
        foreach (var (command, field) in refused)
        {
            await alice.WriteLineAsync(command);
            string op = command.Contains("\"delete\"") ? "delete" : command.Contains("\"history\"") ? "history" : "send";
            var result = await alice.NextResultAsync(op);
            Assert.Equal(ChatErrorCodes.BadParameter, result.GetProperty("errorCode").GetInt32());
            Assert.Contains(field, result.GetProperty("errorMessage").GetString());
            Assert.False(result.TryGetProperty("message", out _), "an error result has no message key");
        }
        await alice.WriteLineAsync("""{"op":42}""");
        Assert.Contains("op must be a string", (await alice.NextResultAsync("?")).GetProperty("errorMessage").GetString());

        // Nothing of the refused sends reached the conversation: the first real message is seq 1.
        await alice.WriteLineAsync("""{"op":"send","type":"peer","to":"bob","text":"real","localId":7}""");
        var sent = await alice.NextResultAsync("send");
        Assert.Equal(0, sent.GetProperty("errorCode").GetInt32());
        Assert.False(sent.TryGetProperty("errorMessage", out _));
        Assert.Equal((1L, 7L), (sent.GetProperty("message").GetProperty("conversationSeq").GetInt64(), sent.GetProperty("message").GetProperty("localMessageId").GetInt64()));
        await alice.WriteLineAsync("""{"op":"history","type":"peer","id":"bob","count":10}""");
        var history = await alice.NextResultAsync("history");
        Assert.Equal(["real"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));

        alice.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Chat_history_results_carry_the_cursor_of_the_next_page()
    {
        await using var server = await TestServer.StartAsync();
        string[] common = ["--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA];
        await using var alice = CliProcess.Start(["chat", .. common, "--user", "alice"]);
        await alice.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));
        for (int i = 1; i <= 3; i++)
        {
            await alice.WriteLineAsync($$"""{"op":"send","type":"peer","to":"bob","text":"m{{i}}"}""");
            Assert.Equal(0, (await alice.NextResultAsync("send")).GetProperty("errorCode").GetInt32());
        }

        await alice.WriteLineAsync("""{"op":"history","type":"peer","id":"bob","count":2}""");
        var page1 = await alice.NextResultAsync("history");
        Assert.Equal(["m3", "m2"], page1.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        long nextSeq = page1.GetProperty("nextSeq").GetInt64();
        Assert.Equal(page1.GetProperty("messages")[1].GetProperty("conversationSeq").GetInt64(), nextSeq);
        Assert.Equal(page1.GetProperty("messages")[1].GetProperty("messageId").GetInt64(), page1.GetProperty("next").GetInt64());

        await alice.WriteLineAsync($$"""{"op":"history","type":"peer","id":"bob","count":2,"nextSeq":{{nextSeq}}}""");
        var page2 = await alice.NextResultAsync("history");
        Assert.Equal(["m1"], page2.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, page2.GetProperty("nextSeq").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, page2.GetProperty("next").ValueKind);

        // "next" (a message id from a page) continues the same way.
        await alice.WriteLineAsync($$"""{"op":"history","type":"peer","id":"bob","count":2,"next":{{page1.GetProperty("next").GetInt64()}}}""");
        Assert.Equal(["m1"], (await alice.NextResultAsync("history")).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));

        // An exactly full last page has no cursor either: nothing comes after m1.
        await alice.WriteLineAsync($$"""{"op":"history","type":"peer","id":"bob","count":1,"nextSeq":{{nextSeq}}}""");
        var full = await alice.NextResultAsync("history");
        Assert.Equal(["m1"], full.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, full.GetProperty("next").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, full.GetProperty("nextSeq").ValueKind);
        // ... while a full page with more behind it has one.
        await alice.WriteLineAsync("""{"op":"history","type":"peer","id":"bob","count":1}""");
        Assert.Equal(page1.GetProperty("messages")[0].GetProperty("conversationSeq").GetInt64(), (await alice.NextResultAsync("history")).GetProperty("nextSeq").GetInt64());
    }

    [Fact]
    public async Task Chat_checks_counts_ids_and_input_lines_and_reports_room_counts_and_logout()
    {
        await using var server = await TestServer.StartAsync();
        string[] common = ["--url", server.Url.ToString(), "--app-id", TestServer.AppA.ToString(), "--secret", TestServer.SecretA];
        await using var alice = CliProcess.Start(["chat", .. common, "--user", "alice"]);
        await alice.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));

        async Task<System.Text.Json.JsonElement> Run(string line, string op)
        {
            await alice.WriteLineAsync(line);
            return await alice.NextResultAsync(op);
        }
        static string Error(System.Text.Json.JsonElement r) => r.GetProperty("errorMessage").GetString()!;

        // Input line 1 is not JSON; line 2 is blank (skipped, but counted); line 3 is JSON but not an object.
        Assert.Equal("not a JSON object (input line 1 is not valid JSON)", Error(await Run("{\"op\":\"send\"", "?")));
        await alice.WriteLineAsync("");
        Assert.Equal("not a JSON object (input line 3 is JSON, but not an object)", Error(await Run("[1]", "?")));

        // history count: 1-100, checked before anything is sent (0 and 101 refused, 100 runs).
        foreach (int bad in new[] { 0, 101, -1 })
        {
            var r = await Run($$"""{"op":"history","type":"peer","id":"bob","count":{{bad}}}""", "history");
            Assert.Equal(ChatErrorCodes.BadParameter, r.GetProperty("errorCode").GetInt32());
            Assert.Equal($"count must be from 1 to 100 (got {bad})", Error(r));
        }
        Assert.Equal(0, (await Run("""{"op":"history","type":"peer","id":"bob","count":100}""", "history")).GetProperty("errorCode").GetInt32());
        // A room that does not exist: an empty page or an error, never a crash text.
        var noRoom = await Run("""{"op":"history","type":"room","id":"no-such-room","count":20}""", "history");
        if (noRoom.GetProperty("errorCode").GetInt32() != 0) Assert.DoesNotContain("Index", Error(noRoom));
        else Assert.Equal(0, noRoom.GetProperty("messages").GetArrayLength());

        var negative = await Run("""{"op":"send","type":"peer","to":"bob","text":"x","localId":-1}""", "send");
        Assert.Equal((ChatErrorCodes.BadParameter, "localId must be 0 (no deduplication) or more (got -1)"), (negative.GetProperty("errorCode").GetInt32(), Error(negative)));
        Assert.Equal(0, (await Run("""{"op":"send","type":"peer","to":"bob","text":"x","localId":0}""", "send")).GetProperty("errorCode").GetInt32());
        var revoke = await Run("""{"op":"revoke"}""", "revoke");
        Assert.Equal(ChatErrorCodes.BadParameter, revoke.GetProperty("errorCode").GetInt32());
        Assert.Contains("messageId is missing", Error(revoke));

        // enterRoom, createRoom and joinRoom report the room's member count and newest sequence number.
        var entered = await Run("""{"op":"enterRoom","id":"cr1"}""", "enterRoom");
        Assert.Equal((0, 1, 0L), (entered.GetProperty("errorCode").GetInt32(), entered.GetProperty("count").GetInt32(), entered.GetProperty("nextSeq").GetInt64()));
        Assert.False(entered.TryGetProperty("members", out _));
        await using var bob = CliProcess.Start(["chat", .. common, "--user", "bob"]);
        await bob.NextEventAsync("loggedIn", TimeSpan.FromSeconds(30));
        await bob.WriteLineAsync("""{"op":"joinRoom","id":"cr1"}""");
        var joined = await bob.NextResultAsync("joinRoom");
        Assert.Equal((0, 2), (joined.GetProperty("errorCode").GetInt32(), joined.GetProperty("count").GetInt32()));
        var created = await Run("""{"op":"createRoom","id":"cr2","name":"two"}""", "createRoom");
        Assert.Equal(1, created.GetProperty("count").GetInt32());

        // Logout: Disconnected with ZIM's Success (not ActiveLogin, which is a login's).
        // The event comes before the result line.
        await alice.WriteLineAsync("""{"op":"logout"}""");
        var state = await alice.NextEventAsync("connectionStateChanged");
        Assert.Equal(("Disconnected", "Success"), (state.GetProperty("state").GetString(), state.GetProperty("reason").GetString()));
        Assert.Equal(0, (await alice.NextResultAsync("logout")).GetProperty("errorCode").GetInt32());
    }

    [Fact]
    public async Task A_login_that_cannot_connect_prints_only_loginFailed_and_exits_1()
    {
        // Nothing listens on port 1.
        string[] common = ["--url", "http://127.0.0.1:1", "--app-id", "1", "--secret", TestServer.SecretA, "--user", "alice"];
        var chat = await CliProcess.RunAsync(["chat", .. common]);
        var listen = await CliProcess.RunAsync(["listen", .. common, "--room", "r1"]);
        foreach (var (run, code) in new[] { (chat, ChatErrorCodes.LoginFailed), (listen, RoomErrorCodes.SendFailed) })
        {
            Assert.Equal(1, run.ExitCode);
            var lines = Lines(run.Stdout);
            Assert.True(lines.Length == 1, run.Stdout);
            var line = System.Text.Json.JsonDocument.Parse(lines[0]).RootElement;
            Assert.Equal(("loginFailed", code, "could not connect to the server"),
                (line.GetProperty("event").GetString(), line.GetProperty("errorCode").GetInt32(), line.GetProperty("errorMessage").GetString()));
        }
    }

    [Fact]
    public async Task Serve_refuses_a_broken_appsettings_json_a_bad_log_level_app_gaps_and_a_file_as_data_with_one_line()
    {
        string dir = Directory.CreateTempSubdirectory("chorus-settings-test-").FullName;
        try
        {
            string data = Path.Combine(dir, "data");
            await File.WriteAllTextAsync(Path.Combine(dir, "appsettings.json"), "{ \"Chorus\": { \"Port\": 0\n", TestContext.Current.CancellationToken);
            var broken = await CliProcess.RunInAsync(dir, "serve", "--port", "0", "--data", data);
            Assert.StartsWith("chorus serve: appsettings.json: not valid JSON, line 2: ", AssertRefused(broken, "appsettings.json without its closing brace"));
            File.Delete(Path.Combine(dir, "appsettings.json"));

            string secret = TestServer.SecretA;
            var cases = new (string Because, string[] Args, string Expect)[]
            {
                ("a log level that does not exist", ["--Logging:LogLevel:Chorus=Verbose"],
                    "chorus serve: Logging:LogLevel:Chorus: 'Verbose' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)"),
                ("app entry 1 without 0", ["--Chorus:Apps:1:AppId=7", $"--Chorus:Apps:1:ServerSecret={secret}"],
                    "Chorus:Apps: entries must be numbered 0, 1, 2, ... without gaps (Chorus:Apps:0 is missing)"),
                ("app entries 0 and 2", ["--Chorus:Apps:0:AppId=7", $"--Chorus:Apps:0:ServerSecret={secret}", "--Chorus:Apps:2:AppId=8", $"--Chorus:Apps:2:ServerSecret={secret}"],
                    "(Chorus:Apps:1 is missing)"),
            };
            var runs = await Task.WhenAll(cases.Select(c => CliProcess.RunAsync(["serve", "--port", "0", "--data", data, .. c.Args])));
            for (int i = 0; i < cases.Length; i++)
            {
                string line = AssertRefused(runs[i], cases[i].Because);
                Assert.Contains(cases[i].Expect, line);
                Assert.EndsWith("(see chorus serve --help)", line);
            }

            string file = Path.Combine(dir, "a-file");
            await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
            Assert.Equal($"chorus serve: --data {file} is not a directory (see chorus serve --help)",
                AssertRefused(await CliProcess.RunAsync("serve", "--port", "0", "--data", file), "--data naming a file"));

            // Several problems found together, in different areas' options classes: one line each, in the one format.
            var three = await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--Chorus:MaxFrameBytes=1", "--Chorus:SendQueueCapacity=0", "--Chorus:ChatMaxTextBytes=0");
            Assert.Equal((2, ""), (three.ExitCode, three.Stdout));
            var lines = Lines(three.Stderr);
            Assert.Equal(3, lines.Length);
            Assert.Contains(lines, l => l.Contains("Chorus:ChatMaxTextBytes must be between 1 and 32768", StringComparison.Ordinal));
            Assert.All(lines, l => Assert.Matches(@"^chorus serve: Chorus:\w+ must be [^;]* \(see chorus serve --help\)$", l));

            // The pointer to --help comes once, also after an unknown option.
            string unknown = AssertRefused(await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--verbose"), "an unknown option");
            Assert.Equal("chorus serve: unknown option '--verbose' (settings are given as --Chorus:Name=Value) (see chorus serve --help)", unknown);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Client_commands_refuse_a_bad_secret_or_user_in_the_one_format()
    {
        string url = "http://127.0.0.1:1", secret = TestServer.SecretA;
        var cases = new (string Because, string[] Args, string Expect)[]
        {
            ("token: short secret", ["token", "--app-id", "1", "--secret", "short", "--user", "u"], "chorus token: --secret must be exactly 32 bytes, the app's ServerSecret (got 5) (see chorus token --help)"),
            ("token: empty user", ["token", "--app-id", "1", "--secret", secret, "--user", ""], "chorus token: --user must not be empty (see chorus token --help)"),
            ("listen: both", ["listen", "--url", url, "--app-id", "1", "--secret", secret, "--token", "t", "--room", "r", "--user", "u"], "chorus listen: give exactly one of --token and --secret (see chorus listen --help)"),
            ("listen: short secret", ["listen", "--url", url, "--app-id", "1", "--secret", "short", "--room", "r", "--user", "u"], "chorus listen: --secret must be exactly 32 bytes"),
            ("chat: empty user", ["chat", "--url", url, "--app-id", "1", "--secret", secret, "--user", ""], "chorus chat: --user must not be empty (see chorus chat --help)"),
            ("chat: relative url", ["chat", "--url", "nowhere", "--app-id", "1", "--secret", secret, "--user", "u"], "chorus chat: --url must be an absolute http(s) or ws(s) address such as http://127.0.0.1:8080 (see chorus chat --help)"),
            ("call: short secret (31 bytes)", ["call", "DescribeUserNum", "--url", url, "--app-id", "1", "--secret", secret[..31]], "chorus call: --secret must be exactly 32 bytes, the app's ServerSecret (got 31) (see chorus call --help)"),
            ("call: AppId as a parameter", ["call", "DescribeUserNum", "AppId=5", "--url", url, "--app-id", "1", "--secret", secret], "chorus call: AppId is set by chorus call, not as a parameter"),
            ("call: Signature as a parameter", ["call", "DescribeUserNum", "signature=abc", "--url", url, "--app-id", "1", "--secret", secret], "chorus call: Signature is set by chorus call"),
            ("call: Timestamp not a number", ["call", "DescribeUserNum", "Timestamp=now", "--url", url, "--app-id", "1", "--secret", secret], "chorus call: Timestamp may be given once, as Unix seconds (got 'now')"),
            ("call: relative url", ["call", "DescribeUserNum", "--url", "nowhere", "--app-id", "1", "--secret", secret], "(see chorus call --help)"),
        };
        var runs = await Task.WhenAll(cases.Select(c => CliProcess.RunAsync(c.Args)));
        for (int i = 0; i < cases.Length; i++)
            Assert.Contains(cases[i].Expect, AssertRefused(runs[i], cases[i].Because));
        // A secret of exactly 32 bytes is the one accepted.
        Assert.Equal(0, (await CliProcess.RunAsync("token", "--app-id", "1", "--secret", secret, "--user", "u")).ExitCode);
    }
}
