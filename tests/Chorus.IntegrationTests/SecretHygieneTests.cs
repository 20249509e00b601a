using System.Collections.Concurrent;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Microsoft.Extensions.Logging;

namespace Chorus.IntegrationTests;

public class SecretHygieneTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Secrets_and_tokens_never_appear_in_logs_or_error_messages()
    {
        var logs = new ConcurrentQueue<string>();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:Apps:0:CallbackUrl"] = "http://127.0.0.1:9/hook", ["Chorus:Apps:0:CallbackSecret"] = "callback-secret-not-real", ["Chorus:WebhookRetries"] = "0" },
            builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
                builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Trace); // (Warning by default)
                builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
            });
        string goodToken = server.Token("alice");
        string forged = Token04.Generate(TestServer.AppA, "alice", TestServer.SecretB, 600);
        var answers = new List<string?>();

        var c = server.NewClient();
        answers.Add((await c.LoginRoomAsync("r1", new RoomUser("alice"), new RoomConfig { Token = forged }, Ct)).ErrorMessage);
        answers.Add((await c.LoginRoomAsync("r1", new RoomUser("alice"), new RoomConfig { Token = goodToken }, Ct)).ErrorMessage);
        answers.Add((await c.SendBroadcastMessageAsync("r1", "hello", Ct)).ErrorMessage);
        var chat = server.NewChat();
        answers.Add((await chat.LoginAsync(new ChatUserInfo("bob"), forged, Ct)).ErrorMessage);
        answers.Add((await server.CallAsync("DescribeUserNum", TestServer.AppA, TestServer.SecretB, ("RoomId[]", "r1"))).GetProperty("Message").GetString());
        answers.Add((await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"))).GetProperty("Message").GetString());
        await Task.Delay(500, Ct); // the callback to a closed port fails and is logged

        Assert.NotEmpty(logs); // the logger did capture
        Assert.Contains(logs, l => l.Contains("refused", StringComparison.Ordinal));
        foreach (string secret in new[] { TestServer.SecretA, TestServer.SecretB, "callback-secret-not-real", goodToken, forged })
        {
            Assert.DoesNotContain(logs, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(answers, a => a?.Contains(secret, StringComparison.Ordinal) == true);
        }
    }

    [Fact]
    public async Task Chorus_log_lines_never_carry_a_server_api_query_string_or_signature_even_at_trace()
    {
        var logs = new ConcurrentQueue<string>();
        await using var server = await TestServer.StartAsync(configure: builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Trace);
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs, withCategory: true));
        });
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signatures = new List<string>();
        string Signed(string action, uint appId, string secret, string nonce, long ts)
        {
            string signature = ServerApiSignature.Compute(appId, nonce, secret, ts);
            signatures.Add(signature);
            return $"/?Action={action}&RoomId[]=r1&AppId={appId}&SignatureNonce={nonce}&Timestamp={ts}&SignatureVersion=2.0&Signature={signature}";
        }

        string good = Signed("DescribeUserNum", TestServer.AppA, TestServer.SecretA, "a1b2c3d4e5f60001", now);
        Assert.Equal(0, (await server.GetAsync(good)).GetProperty("Code").GetInt32());
        Assert.Equal(ServerApiCodes.SignatureInvalid, (await server.GetAsync(good)).GetProperty("Code").GetInt32()); // replay
        await server.GetAsync(Signed("DescribeUserNum", TestServer.AppA, TestServer.SecretB, "a1b2c3d4e5f60002", now)); // wrong secret
        await server.GetAsync(Signed("DescribeUserNum", TestServer.AppA, TestServer.SecretA, "a1b2c3d4e5f60003", now - 3600)); // expired
        await server.GetAsync(Signed("DescribeUserNum", 4242, TestServer.SecretA, "a1b2c3d4e5f60004", now)); // unknown app
        await server.GetAsync(Signed("NoSuchAction", TestServer.AppA, TestServer.SecretA, "a1b2c3d4e5f60005", now));
        await server.GetAsync(Signed("KickoutUser", TestServer.AppA, TestServer.SecretA, "a1b2c3d4e5f60006", now) + "&UserId[]=" + new string('u', 100));
        await server.PostAsync(Signed("DescribeUserNum", TestServer.AppA, TestServer.SecretA, "a1b2c3d4e5f60007", now), "{not json");

        var chorusLines = logs.Where(l => !l.StartsWith("Microsoft.", StringComparison.Ordinal) && !l.StartsWith("System.", StringComparison.Ordinal)).ToList();
        Assert.Contains(chorusLines, l => l.Contains("refused", StringComparison.Ordinal)); // Chorus did log the refusals
        foreach (string line in chorusLines)
        {
            Assert.DoesNotContain("Signature=", line, StringComparison.Ordinal);
            Assert.DoesNotContain("SignatureNonce=", line, StringComparison.Ordinal);
            Assert.DoesNotContain("a1b2c3d4e5f6000", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Action=", line, StringComparison.Ordinal);
            foreach (string signature in signatures) Assert.DoesNotContain(signature, line, StringComparison.Ordinal);
        }
        // ASP.NET Core's own request lines, when an operator turns them on (here: Trace), are where full URLs go.
        Assert.Contains(logs, l => l.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && l.Contains("Signature=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task At_default_log_levels_the_server_logs_no_query_string_or_signature_and_one_entry_per_refused_request_at_most()
    {
        string data = TestServer.NewDataDirectory();
        try
        {
            await using var serve = CliProcess.Start("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}");
            string urlLine = await serve.NextLineAsync(TimeSpan.FromSeconds(30));
            var url = new Uri(urlLine["url: ".Length..]);
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
            var sent = new List<string>();
            async Task<int> Get(string query)
            {
                sent.Add(query);
                using var response = await http.GetAsync("/?" + query, Ct);
                return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("Code").GetInt32();
            }
            string Query(string action, string biz, string secret) =>
                $"Action={action}&{biz}&" + ServerApiSignature.BuildCommonQuery(TestServer.AppA, secret, DateTimeOffset.UtcNow);

            // a walkthrough of 40 requests: 20 accepted, 10 replays, 10 with a wrong signature
            var accepted = new List<string>();
            for (int i = 0; i < 10; i++)
            {
                accepted.Add(Query("DescribeUserNum", "RoomId[]=r1", TestServer.SecretA));
                accepted.Add(Query("DescribeUsers", "RoomId=r1&UserId[]=u1", TestServer.SecretA));
            }
            // accepted: each action runs and gives its own answer (r1 is empty: a count of 0, and "room not found")
            for (int i = 0; i < accepted.Count; i++)
                Assert.Equal(i % 2 == 0 ? ServerApiCodes.Success : ServerApiCodes.RoomNotFound, await Get(accepted[i]));
            for (int i = 0; i < 10; i++) Assert.Equal(ServerApiCodes.SignatureInvalid, await Get(accepted[i]));
            for (int i = 0; i < 10; i++) Assert.Equal(ServerApiCodes.SignatureInvalid, await Get(Query("DescribeUserNum", "RoomId[]=r1", TestServer.SecretB)));
            for (int i = 0; i < 5; i++)
                using (var health = await http.GetAsync("/healthz", Ct)) Assert.True(health.IsSuccessStatusCode);

            // the console logger writes in order: once the 20th refusal is there, every earlier line is too
            const int Refused = 20;
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (Occurrences(serve.Stderr, " refused: ") < Refused && DateTime.UtcNow < deadline) await Task.Delay(50, Ct);
            string stderr = serve.Stderr;
            Assert.Equal(Refused, Occurrences(stderr, " refused: ")); // each refusal is logged, once
            foreach (string query in sent)
            {
                string signature = query[(query.IndexOf("&Signature=", StringComparison.Ordinal) + "&Signature=".Length)..];
                Assert.DoesNotContain(signature, stderr, StringComparison.Ordinal);
                Assert.DoesNotContain(query, stderr, StringComparison.Ordinal);
            }
            Assert.DoesNotContain("Signature=", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Action=", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("/healthz", stderr, StringComparison.Ordinal);
            // startup (a few lines) plus one two-line entry per refused request; accepted requests log nothing
            int lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.InRange(lines, 2 * Refused, 16 + 2 * Refused);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task AspNetCore_request_lines_are_off_by_default_and_the_usual_Logging_LogLevel_setting_turns_them_on()
    {
        foreach (string? level in new[] { null, "Information" })
        {
            var logs = new ConcurrentQueue<string>();
            var settings = new Dictionary<string, string?>();
            if (level is not null) settings["Logging:LogLevel:Microsoft.AspNetCore"] = level;
            await using (var server = await TestServer.StartAsync(settings, builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Information); // what a default host has
                builder.Logging.AddProvider(new CapturingLoggerProvider(logs, withCategory: true));
            }))
            {
                Assert.Equal(0, (await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"))).GetProperty("Code").GetInt32());
                Assert.Equal(ServerApiCodes.SignatureInvalid, (await server.CallAsync("DescribeUserNum", TestServer.AppA, TestServer.SecretB, ("RoomId[]", "r1"))).GetProperty("Code").GetInt32());
            }
            Assert.Contains(logs, l => l.StartsWith("Chorus.", StringComparison.Ordinal) && l.Contains("refused", StringComparison.Ordinal)); // Chorus at Information
            if (level is null) Assert.DoesNotContain(logs, l => l.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
            else Assert.Contains(logs, l => l.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && l.Contains("Request finished", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_client_chosen_op_reaches_logs_and_answers_without_control_characters()
    {
        var logs = new ConcurrentQueue<string>();
        await using var server = await TestServer.StartAsync(configure: builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs, withCategory: true));
        });
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        // an oversized frame whose op forges a log line and carries a terminal escape
        string op = "x\\ninfo: Chorus.Server.Auth[1]\\u001b[2J"; // JSON escapes: a real newline and ESC once parsed
        string frame = "{\"op\":\"" + op + "\",\"rid\":5,\"pad\":\"" + new string('a', 17_000) + "\"}";
        var answer = await raw.RequestAsync(frame);
        Assert.Equal(RoomErrorCodes.FrameTooLarge, answer.GetProperty("errorCode").GetInt32());
        string error = answer.GetProperty("error").GetString()!;
        Assert.Contains("'x?info: Chorus.Server.Auth[1]?[2...'", error, StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!logs.Any(l => l.Contains("over the frame limit", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(20, Ct);
        string line = Assert.Single(logs, l => l.Contains("over the frame limit", StringComparison.Ordinal));
        Assert.Contains("'x?info: Chorus.Server.Auth[1]?[2...'", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line.TrimEnd());
        Assert.DoesNotContain('\u001b', line);
    }

    private static int Occurrences(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink, bool withCategory = false) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink, withCategory ? categoryName + ": " : "");
        public void Dispose() { }

        private sealed class CapturingLogger(ConcurrentQueue<string> sink, string prefix) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Enqueue(prefix + formatter(state, exception) + " " + exception);
        }
    }
}
