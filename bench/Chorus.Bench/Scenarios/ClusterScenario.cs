using System.Globalization;

namespace Chorus.Bench.Scenarios;

/// <summary>
/// Many nodes: scenario A with the subscribers spread over N Chorus nodes that share one redis-server and one
/// PostgreSQL (the publisher on node 1), beside the ceiling and one embedded node in the same run; and scenario D on
/// one node with PostgreSQL and on N nodes, beside one node on SQLite. Every process is measured from outside: the
/// nodes' CPU summed, Redis's and PostgreSQL's apart, Redis's commands from INFO commandstats before and after the window.
/// </summary>
internal static class ClusterScenario
{
    public static async Task<ScenarioReport> RunFanoutAsync(int[] nodeCounts, int[] subscriberCounts, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        var report = new ScenarioReport("Scenario A on many nodes: room fan-out across nodes",
            "One publisher → N subscribers in one room, 100-byte payloads, a pipeline of 32 messages, as scenario A. On Redis, subscriber i " +
            "connects to node (i mod nodes) + 1 and the publisher to node 1; the nodes share one redis-server and one PostgreSQL database. " +
            "All processes (load generator included) share this one machine, so more nodes cannot add throughput here: what this measures " +
            "is the cost of a delivery across nodes (CPU per delivery, Redis traffic per broadcast). " +
            "\"÷ embedded\": this row's figure divided by the embedded node's; \"÷ ceiling\": deliveries per CPU-s (nodes + Redis) divided by the ceiling's. " +
            "Redis columns count commands executed by redis-server per acknowledged broadcast (INFO commandstats, INFO itself left out).",
            ["subscribers", "server", "deliveries/s", "÷ embedded", "deliveries per CPU-s (nodes)", "deliveries per CPU-s (nodes + Redis)", "÷ embedded (per CPU-s, nodes + Redis)",
                "÷ ceiling (per CPU-s)", "p50 µs", "p99 µs", "RSS per node MB", "nodes CPU (cores)", "Redis CPU (cores)", "Redis commands per broadcast", "PUBLISH per broadcast"]);
        foreach (int n in subscriberCounts)
        {
            var rows = new List<FanoutRow>();
            foreach (var (name, start) in Deployments(nodeCounts, withCeiling: true))
            {
                log.WriteLine($"A: {name}, {n} subscribers...");
                try
                {
                    rows.Add(await RunFanoutRowAsync(start, n, warmup, window, report, log));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // one row that cannot run (a missing server, a node that would not start) leaves the others standing
                    log.WriteLine($"  failed: {ex.Message}");
                    report.Require(false, $"A: {name}, {n} subscribers: {ex.GetType().Name}: {ex.Message}");
                }
            }
            static double PerCpu(FanoutRow r) =>
                r.Use.NodesCpuSeconds + r.Use.RedisCpuSeconds > 0 ? r.Run.Deliveries / (r.Use.NodesCpuSeconds + r.Use.RedisCpuSeconds) : 0;
            var embedded = rows.FirstOrDefault(r => r.Name == Deployment.EmbeddedName);
            var ceiling = rows.FirstOrDefault(r => r.Name == Deployment.CeilingName);
            double embeddedRate = embedded is null ? double.NaN : embedded.Run.Deliveries / embedded.Run.Seconds;
            double embeddedPerCpu = embedded is null ? double.NaN : PerCpu(embedded);
            double ceilingPerCpu = ceiling is null ? double.NaN : PerCpu(ceiling);
            foreach (var r in rows)
            {
                double rate = r.Run.Deliveries / r.Run.Seconds;
                report.Add(n, r.Name, rate, Ratio.Of(rate, embeddedRate),
                    r.Use.NodesCpuSeconds > 0 ? r.Run.Deliveries / r.Use.NodesCpuSeconds : 0, PerCpu(r), Ratio.Of(PerCpu(r), embeddedPerCpu), Ratio.Of(PerCpu(r), ceilingPerCpu),
                    (double)r.Run.Latency.GetValueAtPercentile(50), (double)r.Run.Latency.GetValueAtPercentile(99), r.Rss,
                    r.Use.NodesCpuSeconds / r.Use.Seconds, r.Redis ? r.Use.RedisCpuSeconds / r.Use.Seconds : double.NaN,
                    r.Redis ? PerUnit(r.Use.RedisCommands, r.Run.Broadcasts) : double.NaN,
                    r.Redis ? PerUnit(r.Use.RedisCallsOf("publish", "spublish"), r.Run.Broadcasts) : double.NaN);
                if (r.Redis)
                    report.Note($"{n} subscribers, {r.Name}: {r.Run.Broadcasts:N0} broadcasts; Redis commands per broadcast: {r.Use.Breakdown(r.Run.Broadcasts)}; " +
                        $"Redis bytes in/out per broadcast: {PerUnit(r.Use.RedisBytesIn, r.Run.Broadcasts):F0} / {PerUnit(r.Use.RedisBytesOut, r.Run.Broadcasts):F0}.");
            }
        }
        return report;
    }

    public static async Task<ScenarioReport> RunChatAsync(int[] nodeCounts, int users, TimeSpan warmup, TimeSpan window, TextWriter log)
    {
        var report = new ScenarioReport("Scenario D on PostgreSQL and many nodes: chat, durable acknowledged sends",
            $"{users} users, groups of 10, each sending in a closed loop, alternating peer and group messages (100-byte text), waiting for each " +
            "acknowledgment, as scenario D. SQLite: WAL, synchronous=FULL. PostgreSQL: the bench's own server with fsync, synchronous_commit and " +
            "full_page_writes on (the default, durable settings). On N nodes, user i connects to node (i mod N) + 1, so a peer and most of a group " +
            "sit on other nodes. \"÷ SQLite\": this row's acknowledged sends/s divided by the SQLite node's.",
            ["users", "server", "acked sends/s", "÷ SQLite", "ack p50 µs", "ack p99 µs", "live deliveries/s", "nodes CPU (cores)", "PostgreSQL CPU (cores)", "Redis CPU (cores)",
                "acked sends per CPU-s (nodes)", "per CPU-s (nodes + PostgreSQL + Redis)", "Redis commands per send", "send failures"]);
        var rows = new List<(string Name, ChatScenario.LoadResult Run, Usage Use, bool Redis, bool Postgres)>();
        foreach (var (name, start) in Deployments(nodeCounts, withCeiling: false, withPostgresNode: true))
        {
            log.WriteLine($"D: {name}, {users} chat users...");
            try
            {
                await using var deployment = await start();
                Snapshot? before = null, after = null;
                var run = await ChatScenario.RunLoadAsync(deployment.Nodes, users, warmup, window,
                    async () => before = await deployment.SnapshotAsync(), async () => after = await deployment.SnapshotAsync(), log);
                report.Require(run.Acknowledged > 0 && run.Failures == 0, $"D: {deployment.Name}: {run.Acknowledged} acknowledged sends, {run.Failures} failed");
                rows.Add((deployment.Name, run, after!.Since(before!, run.Seconds), deployment.HasRedis, deployment.HasPostgres));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.WriteLine($"  failed: {ex.Message}");
                report.Require(false, $"D: {name}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        var sqlite = rows.FirstOrDefault(r => r.Name == Deployment.EmbeddedName);
        double sqliteRate = sqlite.Name is null ? double.NaN : sqlite.Run.Acknowledged / sqlite.Run.Seconds;
        foreach (var r in rows)
        {
            double rate = r.Run.Acknowledged / r.Run.Seconds;
            double all = r.Use.NodesCpuSeconds + r.Use.PostgresCpuSeconds + r.Use.RedisCpuSeconds;
            report.Add(users, r.Name, rate, Ratio.Of(rate, sqliteRate), (double)r.Run.Latency.GetValueAtPercentile(50), (double)r.Run.Latency.GetValueAtPercentile(99),
                r.Run.Deliveries / r.Run.Seconds, r.Use.NodesCpuSeconds / r.Use.Seconds,
                r.Postgres ? r.Use.PostgresCpuSeconds / r.Use.Seconds : double.NaN, r.Redis ? r.Use.RedisCpuSeconds / r.Use.Seconds : double.NaN,
                r.Use.NodesCpuSeconds > 0 ? r.Run.Acknowledged / r.Use.NodesCpuSeconds : 0, all > 0 ? r.Run.Acknowledged / all : 0,
                r.Redis ? PerUnit(r.Use.RedisCommands, r.Run.Acknowledged) : double.NaN, r.Run.Failures);
            if (r.Redis)
                report.Note($"{r.Name}: {r.Run.Acknowledged:N0} acknowledged sends; Redis commands per send: {r.Use.Breakdown(r.Run.Acknowledged)}; " +
                    $"Redis bytes in/out per send: {PerUnit(r.Use.RedisBytesIn, r.Run.Acknowledged):F0} / {PerUnit(r.Use.RedisBytesOut, r.Run.Acknowledged):F0}.");
        }
        return report;
    }

    public static async Task<ScenarioReport> RunIdleAsync(int[] nodeCounts, int connections, TimeSpan idleCpuWindow, TextWriter log)
    {
        var report = new ScenarioReport("Scenario C on many nodes: idle connections",
            $"{connections:N0} connections in rooms of 10, spread over the nodes in turn, idle for {IdleSettle.TotalSeconds:F0} s, as scenario C. " +
            "Node memory: the sum of the nodes' RSS above their RSS after one connection each; Redis memory: used_memory (INFO memory) above " +
            "the same point, i.e. what presence in Redis costs per connection. Idle columns: CPU and Redis commands over the " +
            $"{idleCpuWindow.TotalSeconds:F0} s after that, while the connections only heartbeat (every 10 s).",
            ["connections", "server", "nodes RSS with connections MB", "node KB per connection", "Redis MB with connections", "Redis KB per connection", "÷ embedded (node + Redis KB)",
                "idle: nodes CPU (cores)", "idle: Redis CPU (cores)", "idle: Redis commands/s"]);
        var rows = new List<(string Name, double NodeKb, double RedisKb, double NodesMb, double RedisMb, bool Redis, double NodesCores, double RedisCores, double RedisCommandsPerSecond)>();
        foreach (var (name, start) in Deployments(nodeCounts, withCeiling: false))
        {
            log.WriteLine($"C: {name}, {connections} idle connections...");
            try
            {
                await using var deployment = await start();
                var clients = new List<IBenchClient>();
                try
                {
                    for (int i = 0; i < deployment.Nodes.Count; i++)
                        clients.Add(await deployment.Target.ConnectAsync(deployment.Nodes[i], $"warmup{i}", $"warmup{i}", _ => { }));
                    await Task.Delay(IdleSettle);
                    long nodes0 = deployment.Nodes.Sum(n => n.ResidentBytes());
                    long redis0 = await deployment.RedisUsedMemoryAsync();
                    clients.AddRange(await Measure.ConnectManyAsync(deployment.Target, deployment.NodeFor, connections, i => $"room{i / 10}", i => $"u{i}", _ => _ => { }));
                    await Task.Delay(IdleSettle);
                    long nodes1 = deployment.Nodes.Sum(n => n.ResidentBytes());
                    long redis1 = await deployment.RedisUsedMemoryAsync();
                    // what holding them costs while idle (heartbeats, liveness refreshes): CPU over one heartbeat period and more
                    var before = await deployment.SnapshotAsync();
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    await Task.Delay(idleCpuWindow);
                    var idle = (await deployment.SnapshotAsync()).Since(before, clock.Elapsed.TotalSeconds);
                    log.WriteLine($"  {connections} held; nodes RSS {nodes0 / 1048576.0:F1} MB → {nodes1 / 1048576.0:F1} MB, Redis {redis0 / 1048576.0:F1} MB → {redis1 / 1048576.0:F1} MB");
                    report.Require(nodes1 > 0, $"C: {name} has no memory reading");
                    rows.Add((name, (nodes1 - nodes0) / 1024.0 / connections, (redis1 - redis0) / 1024.0 / connections, nodes1 / 1048576.0, redis1 / 1048576.0, deployment.HasRedis,
                        idle.NodesCpuSeconds / idle.Seconds, idle.RedisCpuSeconds / idle.Seconds, (double)idle.RedisCommands / idle.Seconds));
                }
                finally
                {
                    await Measure.DisposeAllAsync(clients);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.WriteLine($"  failed: {ex.Message}");
                report.Require(false, $"C: {name}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        var embedded = rows.FirstOrDefault(r => r.Name == Deployment.EmbeddedName);
        foreach (var r in rows)
            report.Add(connections, r.Name, r.NodesMb, r.NodeKb, r.Redis ? r.RedisMb : double.NaN, r.Redis ? r.RedisKb : double.NaN,
                Ratio.Of(r.NodeKb + (r.Redis ? r.RedisKb : 0), embedded.Name is null ? double.NaN : embedded.NodeKb),
                r.NodesCores, r.Redis ? r.RedisCores : double.NaN, r.Redis ? r.RedisCommandsPerSecond : double.NaN);
        return report;
    }

    private static readonly TimeSpan IdleSettle = TimeSpan.FromSeconds(5);

    private sealed record FanoutRow(string Name, FanoutScenario.LoadResult Run, Usage Use, string Rss, bool Redis);

    private static async Task<FanoutRow> RunFanoutRowAsync(Func<Task<Deployment>> start, int subscribers, TimeSpan warmup, TimeSpan window, ScenarioReport report, TextWriter log)
    {
        await using var deployment = await start();
        Snapshot? before = null, after = null;
        string rss = "";
        var run = await FanoutScenario.RunLoadAsync(deployment.Target, deployment.Nodes, subscribers, warmup, window,
            async () => before = await deployment.SnapshotAsync(),
            async () => { after = await deployment.SnapshotAsync(); rss = deployment.ResidentMbPerNode(); }, log);
        report.Require(run.Deliveries > 0, $"A: {deployment.Name} delivered nothing to {subscribers} subscribers");
        return new FanoutRow(deployment.Name, run, after!.Since(before!, run.Seconds), rss, deployment.HasRedis);
    }

    /// <summary>Each row's name and how to start its servers, in table order.</summary>
    private static IEnumerable<(string Name, Func<Task<Deployment>> Start)> Deployments(int[] nodeCounts, bool withCeiling, bool withPostgresNode = false)
    {
        if (withCeiling) yield return (Deployment.CeilingName, Deployment.CeilingAsync);
        yield return (Deployment.EmbeddedName, Deployment.EmbeddedAsync);
        if (withPostgresNode) yield return (Deployment.PostgresName, Deployment.PostgresAsync);
        foreach (int nodes in nodeCounts) yield return (Deployment.ClusterName(nodes), () => Deployment.ClusterAsync(nodes));
    }

    private static double PerUnit(long count, long units) => units > 0 ? (double)count / units : double.NaN;

    /// <summary>A problem with the node counts given on the command line (each from 1 to 16), or null.</summary>
    public static string? CheckNodeCounts(int[] counts) =>
        counts.Length == 0 || counts.Any(c => c is < 1 or > 16) ? "--nodes: give one or more node counts, each from 1 to 16" : null;
}
