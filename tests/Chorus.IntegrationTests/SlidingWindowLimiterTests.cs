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
}
