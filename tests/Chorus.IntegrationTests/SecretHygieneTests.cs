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

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink);
        public void Dispose() { }

        private sealed class CapturingLogger(ConcurrentQueue<string> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Enqueue(formatter(state, exception) + " " + exception);
        }
    }
}
