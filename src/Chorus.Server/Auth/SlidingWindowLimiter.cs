namespace Chorus.Server.Auth;

/// <summary>
/// Allows at most <c>limit</c> events in any window of the given length.
/// Hand-written because System.Threading.RateLimiting limiters replenish on timer ticks, so a burst
/// straddling a tick can pass more than "N per second"; a ring of the last N timestamps is exact and cheap for small N.
/// </summary>
public sealed class SlidingWindowLimiter
{
    private readonly long[] _stamps;
    private readonly long _windowTicks;
    private int _count;
    private int _oldest;

    /// <summary>Creates a limiter of <paramref name="limit"/> events per <paramref name="window"/>.</summary>
    public SlidingWindowLimiter(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _stamps = new long[limit];
        _windowTicks = window.Ticks;
    }

    /// <summary>Whether no event happened within the window before <paramref name="now"/>.</summary>
    public bool IsIdle(DateTimeOffset now)
    {
        lock (_stamps)
        {
            if (_count == 0) return true;
            long newest = _stamps[(_oldest + _count - 1) % _stamps.Length];
            return now.UtcTicks - newest >= _windowTicks;
        }
    }

    /// <summary>Takes one permit at <paramref name="now"/> if the window has room.</summary>
    public bool TryAcquire(DateTimeOffset now)
    {
        long t = now.UtcTicks;
        lock (_stamps)
        {
            if (_count < _stamps.Length)
            {
                _stamps[(_oldest + _count) % _stamps.Length] = t;
                _count++;
                return true;
            }
            if (t - _stamps[_oldest] < _windowTicks) return false;
            _stamps[_oldest] = t;
            _oldest = (_oldest + 1) % _stamps.Length;
            return true;
        }
    }
}
