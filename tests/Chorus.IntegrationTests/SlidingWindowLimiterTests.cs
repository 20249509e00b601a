using Chorus.Server.Auth;

namespace Chorus.IntegrationTests;

public class SlidingWindowLimiterTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Theory]
    [InlineData(10)]
    [InlineData(SlidingWindowLimiter.ExactLimit)]
    [InlineData(100_000_000)] // a lifted limit must not allocate per permit
    public void Allows_exactly_the_limit_in_a_burst_and_again_after_the_window(int limit)
    {
        var limiter = new SlidingWindowLimiter(limit, TimeSpan.FromSeconds(1));
        int burst = Math.Min(limit, 100_000);
        for (int i = 0; i < burst; i++) Assert.True(limiter.TryAcquire(T0));
        if (burst == limit) Assert.False(limiter.TryAcquire(T0.AddMilliseconds(500)));
        Assert.True(limiter.TryAcquire(T0.AddSeconds(1.1)));
        Assert.False(limiter.IsIdle(T0.AddSeconds(1.5)));
        Assert.True(limiter.IsIdle(T0.AddSeconds(3)));
    }

    [Fact]
    public void Exact_mode_slides_rather_than_resetting()
    {
        var limiter = new SlidingWindowLimiter(2, TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(T0));
        Assert.True(limiter.TryAcquire(T0.AddMilliseconds(900)));
        Assert.False(limiter.TryAcquire(T0.AddMilliseconds(999)));
        Assert.True(limiter.TryAcquire(T0.AddMilliseconds(1000))); // the first one left the window
        Assert.False(limiter.TryAcquire(T0.AddMilliseconds(1500)));
    }

    [Fact]
    public void Ring_grows_with_use_and_is_dropped_when_the_window_empties()
    {
        var limiter = new SlidingWindowLimiter(200, TimeSpan.FromSeconds(1));
        Assert.Equal(0, limiter.RingCapacity); // a new connection's limiter holds nothing
        for (int i = 0; i < 3; i++) Assert.True(limiter.TryAcquire(T0.AddMilliseconds(i)));
        Assert.InRange(limiter.RingCapacity, 3, 8);
        Assert.True(limiter.IsIdle(T0.AddSeconds(2)));
        Assert.Equal(0, limiter.RingCapacity);

        var lifted = new SlidingWindowLimiter(100_000_000, TimeSpan.FromSeconds(1)); // slot mode
        Assert.Equal(0, lifted.RingCapacity);
        Assert.True(lifted.TryAcquire(T0));
        Assert.Equal(16, lifted.RingCapacity);
        Assert.True(lifted.IsIdle(T0.AddSeconds(2)));
        Assert.Equal(0, lifted.RingCapacity);
    }

    [Fact]
    public void Exact_mode_agrees_with_a_naive_sliding_log()
    {
        var random = new Random(1234);
        foreach (int limit in new[] { 1, 3, 7, 50 })
        {
            var limiter = new SlidingWindowLimiter(limit, TimeSpan.FromSeconds(1));
            var log = new List<DateTimeOffset>();
            var now = T0;
            for (int i = 0; i < 5000; i++)
            {
                now = now.AddMilliseconds(random.Next(0, 4) == 0 ? random.Next(0, 1500) : random.Next(0, 30));
                log.RemoveAll(t => now - t >= TimeSpan.FromSeconds(1));
                bool expected = log.Count < limit;
                if (expected) log.Add(now);
                Assert.Equal(expected, limiter.TryAcquire(now));
            }
        }
    }
}
