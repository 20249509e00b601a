using System.Collections.Concurrent;

namespace Chorus.Server.Auth;

/// <summary>
/// One <see cref="SlidingWindowLimiter"/> per key (a source address, an app), made on first use and forgotten once its
/// window has passed, so the table holds only recent keys however many an attacker makes up. Thread-safe.
/// </summary>
/// <typeparam name="TKey">What the limit is counted per.</typeparam>
public sealed class KeyedLimiter<TKey> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, SlidingWindowLimiter> _limiters = new();
    private readonly int _limit;
    private readonly TimeSpan _window;
    private readonly long _sweepEveryTicks;
    private long _nextSweepTicks;

    /// <summary>Creates the table: <paramref name="limit"/> permits per <paramref name="window"/> and key; idle keys
    /// are dropped at most once every <paramref name="sweepEvery"/>.</summary>
    public KeyedLimiter(int limit, TimeSpan window, TimeSpan sweepEvery)
    {
        _limit = limit;
        _window = window;
        _sweepEveryTicks = sweepEvery.Ticks;
    }

    /// <summary>Takes a permit for <paramref name="key"/>; false when its window is full.</summary>
    public bool TryAcquire(TKey key, DateTimeOffset now)
    {
        SweepIdle(now);
        return _limiters.GetOrAdd(key, static (_, self) => new SlidingWindowLimiter(self._limit, self._window), this).TryAcquire(now); // no closure per call
    }

    /// <summary>Whether <paramref name="key"/>'s window is full (takes nothing).</summary>
    public bool IsFull(TKey key, DateTimeOffset now) => _limiters.TryGetValue(key, out var limiter) && limiter.IsFull(now);

    private void SweepIdle(DateTimeOffset now)
    {
        long ticks = now.UtcTicks, next = Interlocked.Read(ref _nextSweepTicks);
        if (ticks < next || Interlocked.CompareExchange(ref _nextSweepTicks, ticks + _sweepEveryTicks, next) != next) return;
        foreach (var (key, limiter) in _limiters)
            if (limiter.IsIdle(now)) _limiters.TryRemove(new KeyValuePair<TKey, SlidingWindowLimiter>(key, limiter));
    }
}
