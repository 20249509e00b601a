using Microsoft.Extensions.Time.Testing;

namespace Chorus.Storage.Tests;

public sealed class MessageIdGeneratorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static long Ms(DateTimeOffset t) => (t - MessageIdGenerator.Epoch).Ticks / TimeSpan.TicksPerMillisecond;

    [Fact]
    public void An_id_is_milliseconds_since_the_epoch_then_the_node_id_then_a_counter()
    {
        var clock = new FakeTimeProvider(MessageIdGenerator.Epoch.AddMilliseconds(1234));
        var ids = new MessageIdGenerator(5, clock);
        long first = ids.Next();
        Assert.Equal((1234L << 22) | (5L << 12), first);
        Assert.Equal(first + 1, ids.Next());
        Assert.Equal(5, MessageIdGenerator.NodeIdOf(first));
        Assert.Equal(MessageIdGenerator.Epoch.AddMilliseconds(1234), MessageIdGenerator.TimeOf(first));
        clock.Advance(TimeSpan.FromMilliseconds(3));
        Assert.Equal((1237L << 22) | (5L << 12), ids.Next()); // a new millisecond starts the counter again
        Assert.Equal(5, ids.NodeId);
    }

    [Fact]
    public void Node_ids_from_0_to_1023_are_accepted_and_others_refused()
    {
        Assert.Equal(0, MessageIdGenerator.NodeIdOf(new MessageIdGenerator(0).Next()));
        Assert.Equal(1023, MessageIdGenerator.NodeIdOf(new MessageIdGenerator(MessageIdGenerator.MaxNodeId).Next()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageIdGenerator(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageIdGenerator(1024));
        Assert.Equal(0, new MessageIdGenerator().NodeId); // the single-node default
    }

    [Fact]
    public void More_than_4096_ids_in_one_millisecond_borrow_the_next_millisecond_and_keep_the_node_bits()
    {
        var clock = new FakeTimeProvider(Now);
        var ids = new MessageIdGenerator(1023, clock); // the highest node id: a carry out of the counter would leave the id's node bits
        var issued = Enumerable.Range(0, 3 * 4096 + 5).Select(_ => ids.Next()).ToList();
        Assert.True(issued.Zip(issued.Skip(1)).All(p => p.First < p.Second));
        Assert.All(issued, id => Assert.Equal(1023, MessageIdGenerator.NodeIdOf(id)));
        Assert.All(issued, id => Assert.True(id > 0));
        Assert.Equal(Now.AddMilliseconds(3), MessageIdGenerator.TimeOf(issued[^1]));
        // the clock catching up continues from there, without going back
        clock.Advance(TimeSpan.FromMilliseconds(2));
        long next = ids.Next();
        Assert.True(next > issued[^1]);
        Assert.Equal(1023, MessageIdGenerator.NodeIdOf(next));
    }

    [Fact]
    public void A_clock_going_back_does_not_make_ids_go_back()
    {
        var clock = new SettableClock { Now = Now }; // FakeTimeProvider never goes back; a wall clock may
        var ids = new MessageIdGenerator(9, clock);
        long before = ids.Next();
        clock.Now = Now.AddMinutes(-5);
        long after = ids.Next();
        Assert.Equal(before + 1, after);
        Assert.Equal(9, MessageIdGenerator.NodeIdOf(after));
    }

    [Fact]
    public void Two_nodes_on_one_clock_never_issue_the_same_id()
    {
        var clock = new FakeTimeProvider(Now);
        var a = new MessageIdGenerator(1, clock);
        var b = new MessageIdGenerator(2, clock);
        var fromA = new List<long>();
        var fromB = new List<long>();
        for (int i = 0; i < 20_000; i++)
        {
            fromA.Add(a.Next());
            fromB.Add(b.Next());
            if (i % 3000 == 0) clock.Advance(TimeSpan.FromMilliseconds(1)); // sometimes past 4096 a millisecond, sometimes not
        }
        Assert.Empty(fromA.Intersect(fromB));
        Assert.All(fromA, id => Assert.Equal(1, MessageIdGenerator.NodeIdOf(id)));
        Assert.All(fromB, id => Assert.Equal(2, MessageIdGenerator.NodeIdOf(id)));
    }

    [Fact]
    public void Concurrent_callers_get_distinct_increasing_ids()
    {
        var ids = new MessageIdGenerator(3, new FakeTimeProvider(Now)); // a clock that stands still: every id comes from the counter path
        var perThread = new List<long>[4];
        Parallel.For(0, perThread.Length, t =>
        {
            var mine = perThread[t] = new List<long>(20_000);
            for (int i = 0; i < 20_000; i++) mine.Add(ids.Next());
        });
        Assert.All(perThread, mine => Assert.True(mine.Zip(mine.Skip(1)).All(p => p.First < p.Second)));
        Assert.Equal(80_000, perThread.SelectMany(m => m).Distinct().Count());
        Assert.All(perThread.SelectMany(m => m), id => Assert.Equal(3, MessageIdGenerator.NodeIdOf(id)));
    }

    [Fact]
    public void After_a_restart_with_the_clock_behind_ids_stay_above_the_largest_stored()
    {
        var clock = new FakeTimeProvider(Now);
        var before = new MessageIdGenerator(4, clock);
        long largest = Enumerable.Range(0, 10_000).Select(_ => before.Next()).Max(); // runs ahead of the clock

        var restarted = new MessageIdGenerator(4, new FakeTimeProvider(Now.AddSeconds(-30))); // the restarted process's clock is behind
        restarted.AtLeast(largest); // what the store does when it opens
        long next = restarted.Next();
        Assert.True(next > largest);
        Assert.Equal(4, MessageIdGenerator.NodeIdOf(next));
        restarted.AtLeast(largest - 100); // a smaller one changes nothing
        Assert.Equal(next + 1, restarted.Next());
    }

    [Fact]
    public void Ids_stay_above_a_larger_id_from_another_node_with_this_nodes_bits()
    {
        var clock = new FakeTimeProvider(Now);
        var other = new MessageIdGenerator(7, clock);
        var below = new MessageIdGenerator(3, clock);
        var above = new MessageIdGenerator(9, clock);
        long foreign = other.Next();
        below.AtLeast(foreign);
        above.AtLeast(foreign);
        long fromBelow = below.Next(), fromAbove = above.Next();
        Assert.True(fromBelow > foreign);
        Assert.True(fromAbove > foreign);
        Assert.Equal(3, MessageIdGenerator.NodeIdOf(fromBelow));
        Assert.Equal(9, MessageIdGenerator.NodeIdOf(fromAbove));
        Assert.Equal(Ms(Now) + 1, fromBelow >> 22); // node 3 < 7: the next millisecond
        Assert.Equal(Ms(Now), fromAbove >> 22);     // node 9 > 7: the same millisecond, counter 0
    }

    [Fact]
    public void Every_id_of_the_earlier_layout_is_below_the_ids_of_this_one()
    {
        // The earlier layout: Unix milliseconds << 12 | counter. Its largest id until 2039 is below 2^53.
        long earlier = (Now.ToUnixTimeMilliseconds() << 12) | 4095;
        var ids = new MessageIdGenerator(0, new FakeTimeProvider(Now));
        ids.AtLeast(earlier);
        Assert.True(ids.Next() > earlier);
        long lastEarlierBefore2039 = (new DateTimeOffset(2039, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() << 12) | 4095;
        Assert.True(lastEarlierBefore2039 < (1L << 53));
        Assert.True(new MessageIdGenerator(0, new FakeTimeProvider(MessageIdGenerator.Epoch.AddDays(25))).Next() > 1L << 53);
        // and the 41-bit time part lasts until 2089 before the sign bit
        Assert.True(new MessageIdGenerator(MessageIdGenerator.MaxNodeId, new FakeTimeProvider(new DateTimeOffset(2089, 1, 1, 0, 0, 0, TimeSpan.Zero))).Next() > 0);
    }

    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
