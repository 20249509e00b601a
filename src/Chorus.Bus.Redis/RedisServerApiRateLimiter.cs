using Chorus.Server.Core;
using Chorus.Server.ServerApi;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>
/// The server API's per-AppId rate limits for the whole cluster: one sorted set per app and action
/// (<c>chorus:rate:{app}:{action}</c>) holds the calls of the last second on Redis's clock, checked and taken by one
/// script, so N calls per second hold however many nodes serve them. When Redis cannot answer, this node's own
/// limiter decides (the limit then holds per node) and the failure is logged.
/// </summary>
public sealed partial class RedisServerApiRateLimiter(IConnectionMultiplexer redis, NodeIdentity node, TimeProvider time, ILogger<RedisServerApiRateLimiter> logger) : IServerApiRateLimiter
{
    private readonly InProcessServerApiRateLimiter _fallback = new(time);
    private long _next;

    /// <inheritdoc />
    public async ValueTask<bool> TryAcquireAsync(uint appId, string action, int limitPerSecond)
    {
        try
        {
            string member = $"{node.Id}:{Interlocked.Increment(ref _next)}";
            var taken = await redis.GetDatabase().ScriptEvaluateAsync(RedisChatScripts.RateLimit, [RedisChatKeys.Rate(appId, action)], [limitPerSecond, member]);
            return (long)taken == 1;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogFallback(logger, appId, action, ex.Message);
            return await _fallback.TryAcquireAsync(appId, action, limitPerSecond);
        }
    }

    [LoggerMessage(7110, LogLevel.Warning, "Server API limit of {Action} for app {AppId} counted on this node only: Redis did not answer ({Reason})")]
    private static partial void LogFallback(ILogger logger, uint appId, string action, string reason);
}
