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
        TimeSpan cpu0 = default, cpu1 = default;
        long rss = 0;
        var run = await RunLoadAsync(target, [server], subscribers, warmup, window,
            () => { cpu0 = server.CpuTime(); return Task.CompletedTask; },
            () => { cpu1 = server.CpuTime(); rss = server.ResidentBytes(); return Task.CompletedTask; }, log);
        double cpuSeconds = (cpu1 - cpu0).TotalSeconds;
        return new Result(target.Name, subscribers, run.Deliveries / run.Seconds, cpuSeconds > 0 ? run.Deliveries / cpuSeconds : 0,
            run.Latency, rss / 1048576.0, cpuSeconds / run.Seconds);
    }

    /// <summary>What one measured window saw: deliveries, acknowledged broadcasts, its length and the latencies.</summary>
    public sealed record LoadResult(long Deliveries, long Broadcasts, double Seconds, LongHistogram Latency);

    /// <summary>
    /// Runs the load on servers already started: subscriber i connects to <paramref name="nodes"/>[i % count], the
    /// publisher to the first node. <paramref name="windowStarts"/> and <paramref name="windowEnds"/> run at the edges
    /// of the measured window (to read CPU, memory and counters there).
    /// </summary>
    public static async Task<LoadResult> RunLoadAsync(IBenchTarget target, IReadOnlyList<ServerProcess> nodes, int subscribers, TimeSpan warmup, TimeSpan window,
        Func<Task> windowStarts, Func<Task> windowEnds, TextWriter log)
    {
        long delivered = 0, acknowledged = 0;
        bool recording = false;
        var histograms = Enumerable.Range(0, subscribers).Select(_ => Measure.NewHistogram()).ToArray();
        var clients = new List<IBenchClient>();
        try
        {
            clients.AddRange(await Measure.ConnectManyAsync(target, i => nodes[i % nodes.Count], subscribers, _ => "bench", i => $"s{i}", i => micros =>
            {
                if (Volatile.Read(ref recording)) Measure.Record(histograms[i], micros);
                Interlocked.Increment(ref delivered);
            }));
            var publisher = await target.ConnectAsync(nodes[0], "bench", "publisher", _ => { });
            clients.Add(publisher);
            log.WriteLine($"  {subscribers} subscribers connected to {nodes.Count} node(s); RSS {string.Join(", ", nodes.Select(n => $"{n.ResidentBytes() / 1048576.0:F1} MB"))}");

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
                        else Interlocked.Increment(ref acknowledged);
                        unacknowledged.Release();
                    }, TaskScheduler.Default);
                }
            });

            await Task.Delay(warmup);
            Volatile.Write(ref recording, true);
            await windowStarts();
            long delivered0 = Interlocked.Read(ref delivered), acknowledged0 = Interlocked.Read(ref acknowledged);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            long delivered1 = Interlocked.Read(ref delivered), acknowledged1 = Interlocked.Read(ref acknowledged);
            double seconds = clock.Elapsed.TotalSeconds;
            await windowEnds();
            Volatile.Write(ref recording, false);
            stop.Cancel();
            await publishing.WaitAsync(TimeSpan.FromSeconds(30));
            lock (failures)
                if (failures.Count > 0) throw new InvalidOperationException($"{target.Name}: publishing failed", failures[0]);
            return new LoadResult(delivered1 - delivered0, acknowledged1 - acknowledged0, seconds, Measure.Merge(histograms));
        }
        finally
        {
            await Measure.DisposeAllAsync(clients);
        }
    }
}
