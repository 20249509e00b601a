using System.Diagnostics;
using HdrHistogram;

namespace Chorus.Bench;

/// <summary>One measured run of scenario A (room fan-out: 1 publisher, N subscribers, 100-byte payloads).</summary>
internal sealed record FanoutResult(string Target, int Subscribers, double DeliveriesPerSecond, double DeliveriesPerCpuSecond,
    double P50Us, double P99Us, double P999Us, double ResidentMb, double ResidentKbPerConnection, double ServerCpuShare);

/// <summary>
/// Scenario A: the publisher sends 100-byte payloads (its send time embedded) as fast as the server delivers them,
/// keeping at most a window of messages not yet delivered to everyone. After a warm-up, a fixed window is measured:
/// deliveries per second, deliveries per server CPU-second (user + system time of the server process, from /proc),
/// end-to-end latency percentiles and the server's resident memory.
/// </summary>
internal static class FanoutScenario
{
    private const int PayloadBytes = 100;
    private const int InFlightMessages = 32;

    public static async Task<FanoutResult> RunAsync(IBenchTarget target, int subscribers, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        await using var server = await target.StartAsync();
        var connections = new List<IAsyncDisposable>();
        long delivered = 0;
        bool recording = false;
        var histograms = new LongHistogram[subscribers];
        try
        {
            for (int i = 0; i < subscribers; i += 100)
            {
                var batch = Enumerable.Range(i, Math.Min(100, subscribers - i)).Select(async n =>
                {
                    var histogram = histograms[n] = new LongHistogram(60_000_000, 3);
                    var c = await target.SubscribeAsync(server.Url, n, payload =>
                    {
                        if (Volatile.Read(ref recording))
                        {
                            long sentAt = long.Parse(payload.AsSpan(0, payload.IndexOf(';')));
                            long micros = (Stopwatch.GetTimestamp() - sentAt) * 1_000_000 / Stopwatch.Frequency;
                            lock (histogram) histogram.RecordValue(Math.Clamp(micros, 0, 60_000_000));
                        }
                        Interlocked.Increment(ref delivered);
                    });
                    lock (connections) connections.Add(c);
                });
                await Task.WhenAll(batch);
            }
            var (publish, publisher) = await target.PublisherAsync(server.Url);
            connections.Add(publisher);
            log.WriteLine($"  {target.Name}: {subscribers} subscribers connected; RSS {server.ResidentBytes() / 1048576.0:F1} MB");

            long sent = 0;
            using var stop = new CancellationTokenSource();
            var publishers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                string padding = new('x', PayloadBytes);
                while (!stop.IsCancellationRequested)
                {
                    // flow control: at most a window of messages not yet delivered to every subscriber
                    if (Interlocked.Read(ref sent) * subscribers - Interlocked.Read(ref delivered) > (long)InFlightMessages * subscribers)
                    {
                        await Task.Yield();
                        continue;
                    }
                    Interlocked.Increment(ref sent);
                    string stamp = Stopwatch.GetTimestamp() + ";";
                    await publish(stamp + padding[..(PayloadBytes - stamp.Length)]);
                }
            })).ToArray();

            await Task.Delay(warmup);
            Volatile.Write(ref recording, true);
            var cpu0 = server.CpuTime();
            long delivered0 = Interlocked.Read(ref delivered);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            var cpu1 = server.CpuTime();
            long delivered1 = Interlocked.Read(ref delivered);
            double seconds = clock.Elapsed.TotalSeconds;
            long rss = server.ResidentBytes();
            Volatile.Write(ref recording, false);
            stop.Cancel();
            await Task.WhenAll(publishers).WaitAsync(TimeSpan.FromSeconds(30));

            var total = new LongHistogram(60_000_000, 3);
            foreach (var h in histograms) lock (h) total.Add(h);
            double cpuSeconds = (cpu1 - cpu0).TotalSeconds;
            long count = delivered1 - delivered0;
            return new FanoutResult(target.Name, subscribers, count / seconds, cpuSeconds > 0 ? count / cpuSeconds : 0,
                total.GetValueAtPercentile(50), total.GetValueAtPercentile(99), total.GetValueAtPercentile(99.9),
                rss / 1048576.0, rss / 1024.0 / (subscribers + 1), cpuSeconds / seconds);
        }
        finally
        {
            foreach (var c in connections) await c.DisposeAsync();
        }
    }
}
