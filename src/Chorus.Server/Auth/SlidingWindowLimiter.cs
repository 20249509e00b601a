namespace Chorus.Server.Auth;

/// <summary>
/// Allows at most <c>limit</c> events in any window of the given length.
/// Hand-written because System.Threading.RateLimiting limiters replenish on timer ticks, so a burst straddling a tick
/// can pass more than "N per second". Up to <see cref="ExactLimit"/> permits it keeps the last N timestamps and is
/// exact; above that (benchmarks, lifted limits) it counts events in 16 slots of the window, which keeps memory
/// constant at the price of slot-sized precision.
/// </summary>
public sealed class SlidingWindowLimiter
{
    /// <summary>The largest limit enforced exactly (one timestamp per permit).</summary>
    public const int ExactLimit = 512;
    private const int Slots = 16;

    private readonly int _limit;
    private readonly long _windowTicks;
    private readonly long[] _stamps;      // exact mode: ring of the last permits' times
    private readonly long[] _slotCounts;  // slot mode: events per slot
    private readonly long[] _slotIds;     // slot mode: which slot each entry currently counts
    private int _count;
    private int _oldest;

    /// <summary>Creates a limiter of <paramref name="limit"/> events per <paramref name="window"/>.</summary>
    public SlidingWindowLimiter(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        _windowTicks = window.Ticks;
        bool exact = limit <= ExactLimit;
        _stamps = exact ? new long[limit] : [];
        _slotCounts = exact ? [] : new long[Slots];
        _slotIds = exact ? [] : new long[Slots];
    }

    /// <summary>Whether no event happened within the window before <paramref name="now"/>.</summary>
    public bool IsIdle(DateTimeOffset now)
    {
        lock (_stamps)
        {
            if (_stamps.Length == 0) return SlotSum(now.UtcTicks / SlotTicks) == 0;
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
            if (_stamps.Length == 0) return TryAcquireSlot(t);
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

    private long SlotTicks => Math.Max(1, _windowTicks / Slots);

    private bool TryAcquireSlot(long ticks)
    {
        long slot = ticks / SlotTicks;
        if (SlotSum(slot) >= _limit) return false;
        int i = (int)(slot % Slots);
        if (_slotIds[i] != slot)
        {
            _slotIds[i] = slot;
            _slotCounts[i] = 0;
        }
        _slotCounts[i]++;
        return true;
    }

    private long SlotSum(long currentSlot)
    {
        long sum = 0;
        for (int i = 0; i < Slots; i++)
            if (_slotIds[i] > currentSlot - Slots && _slotIds[i] <= currentSlot) sum += _slotCounts[i];
        return sum;
    }
}
