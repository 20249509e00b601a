using System.Diagnostics;
using Chorus.Client;
using HdrHistogram;
using Chorus.Protocol;

namespace Chorus.Bench.Scenarios;

/// <summary>
/// Scenario D: chat with durable acknowledgment (Chorus only: neither peer stores messages). N users log in; every
/// 10 users share a group. Each user sends 100-byte text messages in a closed loop, alternating a peer message to the
/// next user and a message to its group, and waits for each acknowledgment (sent only after the message is committed
/// to SQLite with synchronous=FULL). Reported: acknowledged sends per second, ack time percentiles, live deliveries
/// per second and server CPU.
/// </summary>
internal static class ChatScenario
{
    private const int PayloadBytes = 100;
    private const int GroupSize = 10;

    public static async Task<ScenarioReport> RunAsync(int users, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        var report = new ScenarioReport("Scenario D: chat, durable acknowledged sends",
            $"{users} users, groups of {GroupSize}; each user sends in a closed loop, alternating peer and group messages (100-byte text), " +
            "waiting for each acknowledgment. The SQLite store runs in WAL mode with synchronous=FULL; a send is acknowledged after its commit. " +
            "Targets: ≥ 20,000 acknowledged sends/s, p99 ack ≤ 50 ms.",
            ["users", "server", "acked sends/s", "ack p50 µs", "ack p99 µs", "ack p99.9 µs", "live deliveries/s", "server CPU (cores)", "acked sends per server CPU-s", "send failures"]);
        log.WriteLine($"D: Chorus, {users} chat users...");
        var target = new ChorusTarget();
        await using var server = await target.StartAsync();
        TimeSpan cpu0 = default, cpu1 = default;
        var run = await RunLoadAsync([server], users, warmup, window,
            () => { cpu0 = server.CpuTime(); return Task.CompletedTask; },
            () => { cpu1 = server.CpuTime(); return Task.CompletedTask; }, log);
        report.Require(run.Acknowledged > 0 && run.Failures == 0, $"D: {run.Acknowledged} acknowledged sends, {run.Failures} failed");
        double cpuSeconds = (cpu1 - cpu0).TotalSeconds;
        report.Add(users, target.Name, run.Acknowledged / run.Seconds, (double)run.Latency.GetValueAtPercentile(50), (double)run.Latency.GetValueAtPercentile(99),
            (double)run.Latency.GetValueAtPercentile(99.9), run.Deliveries / run.Seconds, cpuSeconds / run.Seconds, cpuSeconds > 0 ? run.Acknowledged / cpuSeconds : 0,
            run.Failures);
        return report;
    }

    /// <summary>What one measured window saw: acknowledged sends, failed sends, live deliveries, its length and the ack times.</summary>
    public sealed record LoadResult(long Acknowledged, long Failures, long Deliveries, double Seconds, LongHistogram Latency);

    /// <summary>
    /// Runs the load on servers already started: user i connects to <paramref name="nodes"/>[i % count] (so a group's
    /// members and a user's peer sit on different nodes when there are several). <paramref name="windowStarts"/> and
    /// <paramref name="windowEnds"/> run at the edges of the measured window.
    /// </summary>
    public static async Task<LoadResult> RunLoadAsync(IReadOnlyList<ServerProcess> nodes, int users, TimeSpan warmup, TimeSpan window,
        Func<Task> windowStarts, Func<Task> windowEnds, TextWriter log)
    {
        var clients = new ChorusChatClient[users];
        long delivered = 0, acked = 0, failures = 0;
        bool recording = false;
        var histograms = Enumerable.Range(0, users).Select(_ => Measure.NewHistogram()).ToArray();
        try
        {
            for (int i = 0; i < users; i += 50)
                await Task.WhenAll(Enumerable.Range(i, Math.Min(50, users - i)).Select(async n =>
                {
                    var client = clients[n] = new ChorusChatClient(new ChorusClientOptions
                    {
                        ServerUrl = nodes[n % nodes.Count].Url, AppId = ChorusTarget.DevAppId, RequestTimeout = TimeSpan.FromSeconds(60), ConnectTimeout = TimeSpan.FromSeconds(60),
                    });
                    client.PeerMessageReceived += (_, e) => Interlocked.Add(ref delivered, e.Messages.Count);
                    client.GroupMessageReceived += (_, e) => Interlocked.Add(ref delivered, e.Messages.Count);
                    var r = await client.LoginAsync(new ChatUserInfo($"u{n}"), ChorusTarget.Token($"u{n}"));
                    if (r.ErrorCode != 0) throw new InvalidOperationException($"chat login of u{n} failed: {r.ErrorCode} {r.ErrorMessage}");
                }));
            for (int g = 0; g * GroupSize < users; g++)
            {
                var members = Enumerable.Range(g * GroupSize + 1, Math.Min(GroupSize, users - g * GroupSize) - 1).Select(n => $"u{n}").ToList();
                var r = await clients[g * GroupSize].CreateGroupAsync($"g{g}", $"group {g}", members);
                if (r.ErrorCode != 0) throw new InvalidOperationException($"group g{g}: {r.ErrorCode} {r.ErrorMessage}");
            }
            log.WriteLine($"  {users} logged in to {nodes.Count} node(s); RSS {string.Join(", ", nodes.Select(n => $"{n.ResidentBytes() / 1048576.0:F1} MB"))}");

            using var stop = new CancellationTokenSource();
            var loops = Enumerable.Range(0, users).Select(n => Task.Run(async () =>
            {
                var client = clients[n];
                string peer = $"u{(n + 1) % users}", group = $"g{n / GroupSize}";
                for (long k = 0; !stop.IsCancellationRequested; k++)
                {
                    long start = Stopwatch.GetTimestamp();
                    var message = ChatMessage.Text(Measure.StampedPayload(PayloadBytes));
                    var sent = k % 2 == 0
                        ? await client.SendMessageAsync(message, peer, ConversationType.Peer)
                        : await client.SendMessageAsync(message, group, ConversationType.Group);
                    if (sent.ErrorCode != 0)
                    {
                        Interlocked.Increment(ref failures);
                        await Task.Delay(10);
                        continue;
                    }
                    if (Volatile.Read(ref recording))
                    {
                        Measure.Record(histograms[n], Measure.MicrosecondsSince(start));
                        Interlocked.Increment(ref acked);
                    }
                }
            })).ToArray();

            await Task.Delay(warmup);
            await windowStarts();
            long delivered0 = Interlocked.Read(ref delivered);
            Volatile.Write(ref recording, true);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            Volatile.Write(ref recording, false);
            long delivered1 = Interlocked.Read(ref delivered);
            double seconds = clock.Elapsed.TotalSeconds;
            await windowEnds();
            stop.Cancel();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60));
            return new LoadResult(Interlocked.Read(ref acked), Interlocked.Read(ref failures), delivered1 - delivered0, seconds, Measure.Merge(histograms));
        }
        finally
        {
            await Measure.DisposeAllAsync(clients);
        }
    }
}
