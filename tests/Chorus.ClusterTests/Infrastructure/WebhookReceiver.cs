using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chorus.ClusterTests.Infrastructure;

/// <summary>An app backend on a loopback port that records every room callback the nodes POST to it.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonElement> _received = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url => _app.Urls.First() + "/hook";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext ctx) =>
        {
            receiver._received.Enqueue((await JsonDocument.ParseAsync(ctx.Request.Body)).RootElement.Clone());
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The callbacks received so far about <paramref name="roomId"/>.</summary>
    public JsonElement[] ForRoom(string roomId) =>
        [.. _received.Where(e => e.TryGetProperty("room_id", out var r) && r.GetString() == roomId)];

    /// <summary>Waits (bounded) until a callback about <paramref name="roomId"/> matches <paramref name="match"/>.</summary>
    public async Task WaitForAsync(string roomId, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!ForRoom(roomId).Any(match))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no such callback for {roomId} within {timeout.TotalSeconds:0} s; got: {string.Join(", ", ForRoom(roomId).Select(Describe))}");
            await Task.Delay(50);
        }
    }

    public static string Describe(JsonElement e) =>
        e.GetProperty("event").GetString() + (e.TryGetProperty("user_account", out var u) ? ":" + u.GetString() : "");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
