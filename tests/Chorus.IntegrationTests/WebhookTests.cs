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
    public void Webhook_signature_sorts_its_parts()
    {
        string sig = WebhookSignature.Compute("secret", "1700000000", "123");
        // sorted ordinally: "123" < "1700000000" < "secret"
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData("1231700000000secret"u8));
        Assert.Equal(expected, sig);
    }
}
