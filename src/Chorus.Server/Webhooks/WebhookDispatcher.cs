using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Webhooks;

/// <summary>
/// Delivers callbacks to each app's backend: POST JSON with the common fields <c>event, appid, timestamp, nonce,
/// signature</c>; a 2xx answer acknowledges, anything else is retried after 2, 4, 8, 16 and 32 s (settings).
/// Publishing never blocks the caller: events go through a bounded queue.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    private const int MaxConcurrentDeliveries = 16;

    private readonly AppRegistry _apps;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly Channel<(AppOptions App, JsonObject Body)> _queue;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _concurrency = new(MaxConcurrentDeliveries);

    /// <summary>Creates the dispatcher.</summary>
    public WebhookDispatcher(AppRegistry apps, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookDispatcher> logger)
    {
        _apps = apps;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<(AppOptions, JsonObject)>(new BoundedChannelOptions(_options.WebhookQueueCapacity) { FullMode = BoundedChannelFullMode.Wait });
        _http = new HttpClient { Timeout = _options.WebhookTimeout };
    }

    /// <summary>Whether an app has a callback address.</summary>
    public bool IsEnabled(uint appId) => _apps.TryGet(appId, out var app) && !string.IsNullOrEmpty(app.CallbackUrl);

    /// <summary>Queues a callback of <paramref name="eventName"/> with the event's own fields.</summary>
    public void Publish(uint appId, string eventName, JsonObject fields)
    {
        if (!_apps.TryGet(appId, out var app) || string.IsNullOrEmpty(app.CallbackUrl)) return;
        fields["event"] = eventName;
        fields["appid"] = appId;
        if (!_queue.Writer.TryWrite((app, fields))) Log.Dropped(_logger, eventName, appId);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            await foreach (var (app, body) in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await _concurrency.WaitAsync(stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(DeliverAsync(app, body, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await Task.WhenAll(running);
    }

    private async Task DeliverAsync(AppOptions app, JsonObject body, CancellationToken stoppingToken)
    {
        try
        {
            var delay = _options.WebhookRetryBaseDelay;
            for (int attempt = 0; ; attempt++)
            {
                // Each attempt is signed afresh: a receiver may reject old timestamps.
                string timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString();
                string nonce = RandomNumberGenerator.GetInt32(int.MaxValue).ToString();
                body["timestamp"] = timestamp;
                body["nonce"] = nonce;
                body["signature"] = WebhookSignature.Compute(app.CallbackSecret ?? "", timestamp, nonce);
                string? failure = await PostAsync(app.CallbackUrl!, body.ToJsonString(), stoppingToken);
                if (failure is null) return;
                if (attempt >= _options.WebhookRetries)
                {
                    Log.GaveUp(_logger, (string)body["event"]!, app.AppId, attempt + 1, failure);
                    return;
                }
                Log.Retrying(_logger, (string)body["event"]!, app.AppId, failure, delay);
                await Task.Delay(delay, _time, stoppingToken);
                delay *= 2;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            _concurrency.Release();
        }
    }

    private async Task<string?> PostAsync(string url, string json, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new StringContent(json, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await _http.PostAsync(url, content, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException ex) { return ex.Message; }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { return "timed out"; }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Callback {Event} for app {AppId} dropped: the queue is full")]
        public static partial void Dropped(ILogger logger, string @event, uint appId);

        [LoggerMessage(4002, LogLevel.Information, "Callback {Event} for app {AppId} failed ({Failure}); retrying in {Delay}")]
        public static partial void Retrying(ILogger logger, string @event, uint appId, string failure, TimeSpan delay);

        [LoggerMessage(4003, LogLevel.Warning, "Callback {Event} for app {AppId} given up after {Attempts} attempts ({Failure})")]
        public static partial void GaveUp(ILogger logger, string @event, uint appId, int attempts, string failure);
    }
}
