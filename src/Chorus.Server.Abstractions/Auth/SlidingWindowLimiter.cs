namespace Chorus.Server.Auth;

/// <summary>
/// Allows at most <c>limit</c> events in any window of the given length.
/// Hand-written because System.Threading.RateLimiting limiters replenish on timer ticks, so a burst straddling a tick
/// can pass more than "N per second". Up to <see cref="ExactLimit"/> permits it keeps the times of the events still in
/// the window and is exact; that ring grows with use and is dropped once the window is empty, so an idle limiter
/// holds no array. Above <see cref="ExactLimit"/> (benchmarks, lifted limits) it counts events in 16 slots of the
/// window, which keeps memory constant at the price of slot-sized precision (the slots too are allocated on first
/// use and dropped when found idle).
/// </summary>
public sealed class SlidingWindowLimiter
{
    /// <summary>The largest limit enforced exactly (one timestamp per event in the window).</summary>
    public const int ExactLimit = 512;
    private const int Slots = 16;
    private const int InitialRing = 4;

    private readonly Lock _lock = new();
    private readonly int _limit;
    private readonly long _windowTicks;
    private readonly bool _exact;
    private long[] _stamps = [];     // exact mode: ring of the times of the events in the window
    private long[] _slotCounts = []; // slot mode: events per slot (allocated on first use, dropped when idle)
    private long[] _slotIds = [];    // slot mode: which slot each entry currently counts
    private int _count;
    private int _oldest;

    /// <summary>Creates a limiter of <paramref name="limit"/> events per <paramref name="window"/>.</summary>
    public SlidingWindowLimiter(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        _windowTicks = window.Ticks;
        _exact = limit <= ExactLimit;
    }

    /// <summary>Entries the limiter holds right now (ring timestamps, or slots; 0 once idle): what it costs in memory.</summary>
    public int RingCapacity
    {
        get { lock (_lock) return _exact ? _stamps.Length : _slotCounts.Length; }
    }

    /// <summary>Whether no event happened within the window before <paramref name="now"/>.</summary>
    public bool IsIdle(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_exact)
            {
                if (SlotSum(now.UtcTicks / SlotTicks) != 0) return false;
                _slotCounts = [];
                _slotIds = [];
                return true;
            }
            Expire(now.UtcTicks);
            return _count == 0;
        }
    }

    /// <summary>Whether the window before <paramref name="now"/> already holds the limit (the next <see cref="TryAcquire"/> would fail); takes nothing.</summary>
    public bool IsFull(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_exact) return _slotCounts.Length != 0 && SlotSum(now.UtcTicks / SlotTicks) >= _limit;
            Expire(now.UtcTicks);
            return _count >= _limit;
        }
    }

    /// <summary>Takes one permit at <paramref name="now"/> if the window has room.</summary>
    public bool TryAcquire(DateTimeOffset now)
    {
        long t = now.UtcTicks;
        lock (_lock)
        {
            if (!_exact) return TryAcquireSlot(t);
            Expire(t);
            if (_count >= _limit) return false;
            if (_count == _stamps.Length) Grow();
            _stamps[(_oldest + _count) % _stamps.Length] = t;
            _count++;
            return true;
        }
    }

    /// <summary>Forgets the events that left the window; drops the ring when none is left.</summary>
    private void Expire(long t)
    {
        while (_count > 0 && t - _stamps[_oldest] >= _windowTicks)
        {
            _oldest = (_oldest + 1) % _stamps.Length;
            _count--;
        }
        if (_count == 0)
        {
            _stamps = [];
            _oldest = 0;
        }
    }

    private void Grow()
    {
        var larger = new long[Math.Min(_limit, Math.Max(InitialRing, _stamps.Length * 2))];
        for (int i = 0; i < _count; i++) larger[i] = _stamps[(_oldest + i) % _stamps.Length];
        _stamps = larger;
        _oldest = 0;
    }

    private long SlotTicks => Math.Max(1, _windowTicks / Slots);

    private bool TryAcquireSlot(long ticks)
    {
        long slot = ticks / SlotTicks;
        if (_slotCounts.Length == 0)
        {
            _slotCounts = new long[Slots];
            _slotIds = new long[Slots];
        }
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
        for (int i = 0; i < _slotCounts.Length; i++)
            if (_slotIds[i] > currentSlot - Slots && _slotIds[i] <= currentSlot) sum += _slotCounts[i];
        return sum;
    }
}
