using System.Diagnostics;
using HdrHistogram;

namespace Chorus.Bench.Scenarios;

/// <summary>
/// Scenario B: many small rooms at a fixed offered load. Connections are spread over rooms of 10; in the first
/// <c>publishers</c> rooms, member 0 publishes 100-byte payloads at a fixed rate, on a schedule that does not wait for
/// the server (so a slow server shows as latency, not as a lower offered load). Reported: deliveries per second,
/// server CPU at that load, and end-to-end latency percentiles.
/// </summary>
internal static class RoomsScenario
{
    private const int PayloadBytes = 100;
    private const int RoomSize = 10;

    private sealed record Result(string Target, double OfferedPerSecond, double DeliveriesPerSecond, double ServerCores, double DeliveriesPerCpuSecond, LongHistogram Latency, long Failures);

    public static async Task<ScenarioReport> RunAsync(IBenchTarget[] targets, int connections, int publishers, int ratePerPublisher, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        var report = new ScenarioReport("Scenario B: rooms at a fixed rate",
            $"{connections:N0} connections in rooms of {RoomSize}; {publishers} publishers (one per room) at {ratePerPublisher}/s each, 100-byte payloads. " +
            "Last column: this server's p99 divided by Chorus's (above 1 = Chorus's p99 is lower).",
            ["connections", "server", "offered msgs/s", "deliveries/s", "server CPU (cores)", "deliveries per server CPU-s", "p50 µs", "p99 µs", "p99.9 µs", "send failures", "this p99 ÷ Chorus p99"]);
        var results = new List<Result>();
        foreach (var target in targets)
        {
            log.WriteLine($"B: {target.Name}, {connections} connections, {publishers} × {ratePerPublisher}/s...");
            results.Add(await RunOneAsync(target, connections, publishers, ratePerPublisher, warmup, window, log));
        }
        double chorusP99 = results.FirstOrDefault(r => r.Target == "Chorus")?.Latency.GetValueAtPercentile(99) ?? double.NaN;
        foreach (var r in results)
            report.Require(r.DeliveriesPerSecond > 0 && r.Failures == 0, $"B: {r.Target} delivered {r.DeliveriesPerSecond:F0}/s with {r.Failures} failed sends");
        foreach (var r in results)
            report.Add(connections, r.Target, r.OfferedPerSecond, r.DeliveriesPerSecond, r.ServerCores, r.DeliveriesPerCpuSecond,
                (double)r.Latency.GetValueAtPercentile(50), (double)r.Latency.GetValueAtPercentile(99), (double)r.Latency.GetValueAtPercentile(99.9), r.Failures,
                Ratio.Of(r.Latency.GetValueAtPercentile(99), chorusP99));
        return report;
    }

    private static async Task<Result> RunOneAsync(IBenchTarget target, int connections, int publishers, int ratePerPublisher, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        await using var server = await target.StartAsync();
        long delivered = 0, failures = 0;
        bool recording = false;
        var histograms = Enumerable.Range(0, connections).Select(_ => Measure.NewHistogram()).ToArray();
        var clients = Array.Empty<IBenchClient>();
        try
        {
            clients = await Measure.ConnectManyAsync(target, server, connections, i => $"room{i / RoomSize}", i => $"u{i}", i => micros =>
            {
                if (Volatile.Read(ref recording)) Measure.Record(histograms[i], micros);
                Interlocked.Increment(ref delivered);
            });
            log.WriteLine($"  {connections} connected; server RSS {server.ResidentBytes() / 1048576.0:F1} MB");

            using var stop = new CancellationTokenSource();
            var interval = TimeSpan.FromSeconds(1.0 / ratePerPublisher);
            var loops = Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
            {
                var publisher = clients[p * RoomSize];
                var clock = Stopwatch.StartNew();
                var next = TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, interval.TotalMilliseconds)));
                while (!stop.IsCancellationRequested)
                {
                    var wait = next - clock.Elapsed;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    next += interval;
                    _ = publisher.PublishAsync(PayloadBytes).ContinueWith(
                        _ => Interlocked.Increment(ref failures), TaskContinuationOptions.OnlyOnFaulted);
                }
            })).ToArray();

            await Task.Delay(warmup);
            Volatile.Write(ref recording, true);
            var cpu0 = server.CpuTime();
            long delivered0 = Interlocked.Read(ref delivered);
            var watch = Stopwatch.StartNew();
            await Task.Delay(window);
            var cpu1 = server.CpuTime();
            long delivered1 = Interlocked.Read(ref delivered);
            double seconds = watch.Elapsed.TotalSeconds;
            Volatile.Write(ref recording, false);
            stop.Cancel();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30));

            double cpuSeconds = (cpu1 - cpu0).TotalSeconds;
            long count = delivered1 - delivered0;
            return new Result(target.Name, (double)publishers * ratePerPublisher, count / seconds, cpuSeconds / seconds,
                cpuSeconds > 0 ? count / cpuSeconds : 0, Measure.Merge(histograms), Interlocked.Read(ref failures));
        }
        finally
        {
            await Measure.DisposeAllAsync(clients);
        }
    }
}
