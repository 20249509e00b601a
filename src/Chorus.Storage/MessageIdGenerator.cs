namespace Chorus.Storage;

/// <summary>
/// Issues MessageIds that are unique across the nodes of a cluster and increasing on each node, also across restarts.
/// Layout (Snowflake-like, 63 bits, always positive): the milliseconds since <see cref="Epoch"/> (41 bits, enough until
/// 2089), then the node's id (<see cref="NodeIdBits"/> bits; the server passes its node number, setting <c>Chorus:NodeId</c>), then a counter
/// (<see cref="CounterBits"/> bits) for ids issued in the same millisecond. Two nodes with different node ids never
/// issue the same id; a node that issues more than 4096 ids in one millisecond borrows the next millisecond (its ids
/// run slightly ahead of the clock, never into another node's bits). Stored and unstored (room, command) chat messages
/// share it so ids never collide. Thread-safe.
/// </summary>
/// <remarks>
/// Ids of the earlier layout (Unix milliseconds shifted left by 12: below 2^53 until 2039) are all smaller than every
/// id of this layout issued after 2020-01-25 (2^53 is 2^31 ms, 24.9 days, after <see cref="Epoch"/> in this layout), so
/// stored ids stay valid and new ids stay greater; the store also passes its largest stored id to
/// <see cref="AtLeast"/> when it opens, which keeps a node's ids increasing across restarts even if its clock went back.
/// Ids of this layout are above 2^53: clients must keep them as 64-bit integers (the protocol's int64), not as
/// JavaScript numbers.
/// </remarks>
public sealed class MessageIdGenerator
{
    /// <summary>Bits of the node id.</summary>
    public const int NodeIdBits = 10;

    /// <summary>Bits of the per-millisecond counter.</summary>
    public const int CounterBits = 12;

    /// <summary>The largest node id (1023).</summary>
    public const int MaxNodeId = (1 << NodeIdBits) - 1;

    /// <summary>Where the time part counts from: 2020-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const int TimeShift = NodeIdBits + CounterBits;
    private const long CounterMask = (1L << CounterBits) - 1;
    private static readonly long EpochMs = Epoch.ToUnixTimeMilliseconds();

    private readonly TimeProvider _time;
    private readonly long _nodeBits;
    private long _last;

    /// <summary>A generator with node id 0 (for a single node, and for tests).</summary>
    /// <param name="time">The clock (the system clock when null).</param>
    public MessageIdGenerator(TimeProvider? time = null) : this(0, time)
    {
    }

    /// <summary>A generator for node <paramref name="nodeId"/>.</summary>
    /// <param name="nodeId">This node's id, 0 to <see cref="MaxNodeId"/>; unique among the nodes that share a store.</param>
    /// <param name="time">The clock (the system clock when null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nodeId"/> is outside 0..<see cref="MaxNodeId"/>.</exception>
    public MessageIdGenerator(int nodeId, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodeId, MaxNodeId);
        NodeId = nodeId;
        _nodeBits = (long)nodeId << CounterBits;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>This node's id, carried in every id it issues.</summary>
    public int NodeId { get; }

    /// <summary>The node id carried by <paramref name="id"/> (meaningful for ids of this layout).</summary>
    public static int NodeIdOf(long id) => (int)((id >> CounterBits) & MaxNodeId);

    /// <summary>The time carried by <paramref name="id"/> (meaningful for ids of this layout).</summary>
    public static DateTimeOffset TimeOf(long id) => DateTimeOffset.FromUnixTimeMilliseconds((id >> TimeShift) + EpochMs);

    /// <summary>The next id.</summary>
    public long Next()
    {
        long fromClock = (Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() - EpochMs) << TimeShift) | _nodeBits;
        while (true)
        {
            long last = Interlocked.Read(ref _last);
            long next = Math.Max(SmallestAbove(last), fromClock);
            if (Interlocked.CompareExchange(ref _last, next, last) == last) return next;
        }
    }

    /// <summary>Makes every later id greater than <paramref name="issued"/> (call with the largest id already stored,
    /// whichever node or layout issued it).</summary>
    public void AtLeast(long issued)
    {
        while (true)
        {
            long last = Interlocked.Read(ref _last);
            if (last >= issued || Interlocked.CompareExchange(ref _last, issued, last) == last) return;
        }
    }

    // The smallest id carrying this node's bits that is greater than last.
    private long SmallestAbove(long last)
    {
        long ms = last >> TimeShift;
        long node = last & ((long)MaxNodeId << CounterBits);
        if (node == _nodeBits && (last & CounterMask) < CounterMask) return last + 1;
        if (node < _nodeBits) return (ms << TimeShift) | _nodeBits;
        return ((ms + 1) << TimeShift) | _nodeBits;
    }
}
