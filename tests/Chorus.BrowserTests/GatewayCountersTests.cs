using Chorus.Server.Gateway;
using Microsoft.Extensions.Time.Testing;

namespace Chorus.BrowserTests;

/// <summary>The admin page's frame rates cover the last few seconds, not the uptime.</summary>
public sealed class GatewayCountersTests
{
    [Fact]
    public void A_burst_after_a_long_quiet_shows_its_rate_on_the_first_read()
    {
        var time = new FakeTimeProvider();
        using var counters = new GatewayCounters(time);
        // An hour of nothing, never read (the timer samples every second).
        for (int i = 0; i < 3600; i++) time.Advance(TimeSpan.FromSeconds(1));
        // A burst of 1000 frames each way in the last second.
        for (int i = 0; i < 1000; i++) counters.AddReceived();
        counters.AddSent(1000);
        time.Advance(TimeSpan.FromSeconds(1));
        var (received, sent, receivedPerSecond, sentPerSecond) = counters.Sample();
        Assert.Equal((1000, 1000), (received, sent));
        // Over the 5 s window: 1000 / 5 = 200 per second (an average since the start would be about 0.3).
        Assert.Equal(200, receivedPerSecond, 1);
        Assert.Equal(200, sentPerSecond, 1);
        // Five quiet seconds later the burst has left the window.
        for (int i = 0; i < 6; i++) time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, counters.Sample().ReceivedPerSecond);
    }

    [Fact]
    public void A_young_server_averages_since_its_start()
    {
        var time = new FakeTimeProvider();
        using var counters = new GatewayCounters(time);
        time.Advance(TimeSpan.FromSeconds(2));
        for (int i = 0; i < 100; i++) counters.AddReceived();
        Assert.Equal(50, counters.Sample().ReceivedPerSecond, 1);
    }
}
