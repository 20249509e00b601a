using System.Collections.Concurrent;
using Chorus.Server.Auth;

namespace Chorus.Server.ServerApi;

/// <summary>
/// The server API's per-AppId, per-action rate limits (<c>Chorus:ServerApiRatePerSecond</c>): at most N calls in any
/// second. <see cref="InProcessServerApiRateLimiter"/> (the default) counts this node's calls; a cluster implementation
/// (Redis) counts the calls of every node together.
/// </summary>
public interface IServerApiRateLimiter
{
    /// <summary>Takes one call of <paramref name="action"/> for <paramref name="appId"/>; false when the last second already holds <paramref name="limitPerSecond"/> calls.</summary>
    ValueTask<bool> TryAcquireAsync(uint appId, string action, int limitPerSecond);
}

/// <summary>The server API rate limits of one node: a sliding one-second window per (AppId, action), exact.</summary>
public sealed class InProcessServerApiRateLimiter(TimeProvider time) : IServerApiRateLimiter
{
    // Keys are only verified AppIds times the served actions: the table stays small.
    private readonly ConcurrentDictionary<(uint AppId, string Action, int Limit), SlidingWindowLimiter> _limits = new();

    /// <inheritdoc />
    public ValueTask<bool> TryAcquireAsync(uint appId, string action, int limitPerSecond) =>
        ValueTask.FromResult(_limits.GetOrAdd((appId, action, limitPerSecond), static k => new SlidingWindowLimiter(k.Limit, TimeSpan.FromSeconds(1))).TryAcquire(time.GetUtcNow()));
}
