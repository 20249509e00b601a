using System.Diagnostics;
using HdrHistogram;

namespace Chorus.Bench.Scenarios;

/// <summary>
/// Scenario A: room fan-out. One publisher and N subscribers in one room; the publisher sends 100-byte payloads (its
/// send time embedded) as fast as the server delivers them, keeping a pipeline of at most 32 messages not yet
/// delivered to everyone (and at most 32 sends not yet acknowledged, for servers that acknowledge). After a warm-up,
/// a fixed window is measured: deliveries per second, deliveries per server CPU-second (user + system time of the
/// server process, from /proc), end-to-end latency percentiles and the server's resident memory.
/// </summary>
internal static class FanoutScenario
{
    private const int PayloadBytes = 100;
    private const int InFlightMessages = 32;

    private sealed record Result(string Target, int Subscribers, double DeliveriesPerSecond, double DeliveriesPerCpuSecond,
        LongHistogram Latency, double ResidentMb, double ServerCores);

    public static async Task<ScenarioReport> RunAsync(IBenchTarget[] targets, int[] subscriberCounts, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        var report = new ScenarioReport("Scenario A: room fan-out",
            "One publisher → N subscribers in one room, 100-byte payloads, a pipeline of 32 messages. " +
            "Last column: Chorus's deliveries per server CPU-second divided by this server's (above 1 = Chorus does more per CPU-second).",
            ["subscribers", "server", "deliveries/s", "deliveries per server CPU-s", "Chorus ÷ this (per CPU-s)", "p50 µs", "p99 µs", "p99.9 µs", "server RSS MB", "server CPU (cores)"]);
        foreach (int n in subscriberCounts)
        {
            var results = new List<Result>();
            foreach (var target in targets)
            {
                log.WriteLine($"A: {target.Name}, {n} subscribers...");
                results.Add(await RunOneAsync(target, n, warmup, window, log));
            }
            double chorus = results.FirstOrDefault(r => r.Target == "Chorus")?.DeliveriesPerCpuSecond ?? double.NaN;
            foreach (var r in results)
                report.Require(r.DeliveriesPerSecond > 0, $"A: {r.Target} delivered nothing");
            foreach (var r in results)
                report.Add(r.Subscribers, r.Target, r.DeliveriesPerSecond, r.DeliveriesPerCpuSecond, Ratio.Of(chorus, r.DeliveriesPerCpuSecond),
                    (double)r.Latency.GetValueAtPercentile(50), (double)r.Latency.GetValueAtPercentile(99), (double)r.Latency.GetValueAtPercentile(99.9), r.ResidentMb, r.ServerCores);
        }
        return report;
    }

    private static async Task<Result> RunOneAsync(IBenchTarget target, int subscribers, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        await using var server = await target.StartAsync();
        long delivered = 0;
        bool recording = false;
        var histograms = Enumerable.Range(0, subscribers).Select(_ => Measure.NewHistogram()).ToArray();
        var clients = new List<IBenchClient>();
        try
        {
            clients.AddRange(await Measure.ConnectManyAsync(target, server, subscribers, _ => "bench", i => $"s{i}", i => micros =>
            {
                if (Volatile.Read(ref recording)) Measure.Record(histograms[i], micros);
                Interlocked.Increment(ref delivered);
            }));
            var publisher = await target.ConnectAsync(server, "bench", "publisher", _ => { });
            clients.Add(publisher);
            log.WriteLine($"  {subscribers} subscribers connected; server RSS {server.ResidentBytes() / 1048576.0:F1} MB");

            long sent = 0;
            using var stop = new CancellationTokenSource();
            using var unacknowledged = new SemaphoreSlim(InFlightMessages);
            var failures = new List<Exception>();
            var publishing = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested && failures.Count == 0)
                {
                    // flow control: at most a window of messages not yet delivered to every subscriber
                    if (Interlocked.Read(ref sent) * subscribers - Interlocked.Read(ref delivered) > (long)InFlightMessages * subscribers)
                    {
                        await Task.Delay(1);
                        continue;
                    }
                    await unacknowledged.WaitAsync();
                    Interlocked.Increment(ref sent);
                    _ = publisher.PublishAsync(PayloadBytes).ContinueWith(t =>
                    {
                        if (t.Exception is { } e) lock (failures) failures.Add(e.InnerException ?? e);
                        unacknowledged.Release();
                    }, TaskScheduler.Default);
                }
            });

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
            await publishing.WaitAsync(TimeSpan.FromSeconds(30));
            lock (failures)
                if (failures.Count > 0) throw new InvalidOperationException($"{target.Name}: publishing failed", failures[0]);

            double cpuSeconds = (cpu1 - cpu0).TotalSeconds;
            long count = delivered1 - delivered0;
            return new Result(target.Name, subscribers, count / seconds, cpuSeconds > 0 ? count / cpuSeconds : 0,
                Measure.Merge(histograms), rss / 1048576.0, cpuSeconds / seconds);
        }
        finally
        {
            await Measure.DisposeAllAsync(clients);
        }
    }
}
