namespace Chorus.Storage;

/// <summary>
/// Issues chat MessageIds: unique, increasing, and increasing across restarts: the Unix time in milliseconds in the
/// high bits, a counter in the low 12. Stored and unstored (room, command) messages share it so ids never collide.
/// Thread-safe.
/// </summary>
public sealed class MessageIdGenerator(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _last;

    /// <summary>The next id.</summary>
    public long Next()
    {
        while (true)
        {
            long last = Interlocked.Read(ref _last);
            long next = Math.Max(last + 1, _time.GetUtcNow().ToUnixTimeMilliseconds() << 12);
            if (Interlocked.CompareExchange(ref _last, next, last) == last) return next;
        }
    }

    /// <summary>Makes every later id greater than <paramref name="issued"/> (call with the largest id already stored).</summary>
    public void AtLeast(long issued)
    {
        while (true)
        {
            long last = Interlocked.Read(ref _last);
            if (last >= issued || Interlocked.CompareExchange(ref _last, issued, last) == last) return;
        }
    }
}
