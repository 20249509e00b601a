using System.Collections.Concurrent;
using System.Text.Json;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chorus.IntegrationTests;

public class WebhookTests
{
    private const string CallbackSecret = "callback-secret-not-real";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Room_callbacks_are_signed_retried_after_a_failure_and_carry_the_leave_reason()
    {
        // the app's backend: fails the first room_create, acknowledges everything else
        var received = new ConcurrentQueue<JsonElement>();
        int failuresLeft = 1;
        var hookBuilder = WebApplication.CreateSlimBuilder();
        hookBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        hookBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var hook = hookBuilder.Build();
        hook.MapPost("/hook", async (HttpContext ctx) =>
        {
            var body = (await JsonDocument.ParseAsync(ctx.Request.Body)).RootElement.Clone();
            received.Enqueue(body);
            if (body.GetProperty("event").GetString() == "room_create" && Interlocked.Decrement(ref failuresLeft) >= 0) return Results.StatusCode(500);
            return Results.Ok();
        });
        await hook.StartAsync(Ct);
        string hookUrl = hook.Urls.First() + "/hook";

        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Chorus:Apps:0:CallbackUrl"] = hookUrl,
            ["Chorus:Apps:0:CallbackSecret"] = CallbackSecret,
            ["Chorus:WebhookRetryBaseDelay"] = "00:00:00.100",
        });
        var alice = await server.LoggedInAsync("r1", "alice");
        await server.LoggedInAsync("r1", "bob");
        await server.LoggedInAsync("r1", "bob-other", TestServer.AppB); // app B has no callback address
        await server.CallAsync("KickoutUser", ("RoomId", "r1"), ("UserId[]", "bob"));
        Assert.Equal(0, (await alice.LogoutRoomAsync("r1", Ct)).ErrorCode);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (received.Count < 7 && DateTime.UtcNow < deadline) await Task.Delay(50, Ct);
        var events = received.ToArray();
        foreach (var e in events)
        {
            Assert.Equal(TestServer.AppA, e.GetProperty("appid").GetUInt32());
            Assert.True(WebhookSignature.Matches(CallbackSecret, e.GetProperty("timestamp").GetString()!, e.GetProperty("nonce").GetString()!, e.GetProperty("signature").GetString()!));
        }
        var byName = events.GroupBy(e => e.GetProperty("event").GetString()!).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(2, byName["room_create"].Length); // the failed attempt and its retry
        Assert.Equal(["alice", "bob"], byName["room_login"].Select(e => e.GetProperty("user_account").GetString()).Order());
        var logouts = byName["room_logout"].ToDictionary(e => e.GetProperty("user_account").GetString()!, e => e.GetProperty("reason").GetInt32());
        Assert.Equal(3, logouts["bob"]);   // kicked
        Assert.Equal(0, logouts["alice"]); // logged out
        var close = Assert.Single(byName["room_close"]);
        Assert.Equal(("r1", 0), (close.GetProperty("room_id").GetString(), close.GetProperty("close_reason").GetInt32()));
        Assert.Equal(byName["room_create"][0].GetProperty("room_seq").GetString(), close.GetProperty("room_seq").GetString());
        Assert.True(byName["room_login"][0].GetProperty("login_time").GetInt64() > 1_600_000_000_000);
        await hook.StopAsync(Ct);
    }

    [Fact]
    public async Task A_failing_callback_is_retried_5_times_with_doubling_delays_then_given_up()
    {
        // SPEC 6: retried 5 times after 2, 4, 8, 16 and 32 s. The same schedule runs here from a 100 ms base.
        var defaults = new Chorus.Server.Hosting.WebhookOptions();
        Assert.Equal((TimeSpan.FromSeconds(2), 5), (defaults.WebhookRetryBaseDelay, defaults.WebhookRetries));
        var baseDelay = TimeSpan.FromMilliseconds(100);

        var attempts = new ConcurrentQueue<(DateTime At, string Nonce)>();
        var hookBuilder = WebApplication.CreateSlimBuilder();
        hookBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        hookBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var hook = hookBuilder.Build();
        hook.MapPost("/hook", async (HttpContext ctx) =>
        {
            var body = (await JsonDocument.ParseAsync(ctx.Request.Body)).RootElement.Clone();
            if (body.GetProperty("event").GetString() == "room_create") attempts.Enqueue((DateTime.UtcNow, body.GetProperty("nonce").GetString()!));
            return body.GetProperty("event").GetString() == "room_create" ? Results.StatusCode(503) : Results.Ok();
        });
        await hook.StartAsync(Ct);

        var logs = new ConcurrentQueue<(int EventId, IReadOnlyList<KeyValuePair<string, object?>> State)>();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Chorus:Apps:0:CallbackUrl"] = hook.Urls.First() + "/hook",
            ["Chorus:Apps:0:CallbackSecret"] = CallbackSecret,
            ["Chorus:WebhookRetryBaseDelay"] = baseDelay.ToString(),
        }, builder =>
        {
            builder.Logging.AddFilter("Chorus.Server.Webhooks", LogLevel.Information);
            builder.Logging.AddProvider(new StateCapturingLoggerProvider(logs));
        });
        await server.LoggedInAsync("r1", "alice");

        // The dispatcher logs its give-up (event 4003); wait for it, bounded.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!logs.Any(l => l.EventId == 4003))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no give-up within 30 s; {attempts.Count} attempts");
            await Task.Delay(50, Ct);
        }
        await Task.Delay(baseDelay * 40, Ct); // a 6th retry would come 3.2 s after the 5th: wait past it
        var got = attempts.ToArray();
        Assert.Equal(6, got.Length); // the first attempt and 5 retries, then nothing more
        Assert.Equal(6, got.Select(a => a.Nonce).Distinct().Count()); // each attempt is signed afresh

        var gaveUp = logs.Single(l => l.EventId == 4003).State;
        Assert.Equal(6, gaveUp.Single(kv => kv.Key == "Attempts").Value);
        TimeSpan[] scheduled = [.. logs.Where(l => l.EventId == 4002).Select(l => (TimeSpan)l.State.Single(kv => kv.Key == "Delay").Value!)];
        Assert.Equal([baseDelay, baseDelay * 2, baseDelay * 4, baseDelay * 8, baseDelay * 16], scheduled); // ratios of 2
        // Each retry waited at least its delay (an upper bound would only measure the machine's load).
        for (int i = 1; i < got.Length; i++)
            Assert.True(got[i].At - got[i - 1].At >= scheduled[i - 1] - TimeSpan.FromMilliseconds(15),
                $"retry {i} came {(got[i].At - got[i - 1].At).TotalMilliseconds} ms after the previous attempt; scheduled {scheduled[i - 1].TotalMilliseconds} ms");
        await hook.StopAsync(Ct);
    }

    private sealed class StateCapturingLoggerProvider(ConcurrentQueue<(int, IReadOnlyList<KeyValuePair<string, object?>>)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, sink);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<(int, IReadOnlyList<KeyValuePair<string, object?>>)> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (category.StartsWith("Chorus.Server.Webhooks", StringComparison.Ordinal) && state is IReadOnlyList<KeyValuePair<string, object?>> fields)
                    sink.Enqueue((eventId.Id, [.. fields]));
            }
        }
    }

    [Fact]
    public void Webhook_signature_sorts_its_parts()
    {
        string sig = WebhookSignature.Compute("secret", "1700000000", "123");
        // sorted ordinally: "123" < "1700000000" < "secret"
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData("1231700000000secret"u8));
        Assert.Equal(expected, sig);
    }
}
