namespace Chorus.Bench.Scenarios;

/// <summary>
/// Scenario C: idle connections. The server's resident memory is read once it has started and served one connection,
/// then again after N more connections have joined rooms of 10 and sat idle for a few seconds. Reported: memory per
/// connection above the empty server's.
/// </summary>
internal static class IdleScenario
{
    private const int RoomSize = 10;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private sealed record Result(string Target, int Connections, double EmptyMb, double HeldMb, double KbPerConnection);

    public static async Task<ScenarioReport> RunAsync(IBenchTarget[] targets, int connections, TextWriter log)
    {
        var report = new ScenarioReport("Scenario C: idle connections",
            $"{connections:N0} connections, each logged in to a room of {RoomSize} (Chorus) or joined to a group/room (peers), then idle for {Settle.TotalSeconds:F0} s. " +
            "Memory is the server process's RSS from /proc. Last column: this server's KB per connection divided by Chorus's (above 1 = Chorus uses less).",
            ["connections", "server", "empty server RSS MB", "RSS with connections MB", "KB per connection", "this ÷ Chorus"]);
        var results = new List<Result>();
        foreach (var target in targets)
        {
            log.WriteLine($"C: {target.Name}, {connections} idle connections...");
            results.Add(await RunOneAsync(target, connections, log));
        }
        double chorus = results.FirstOrDefault(r => r.Target == "Chorus")?.KbPerConnection ?? double.NaN;
        foreach (var r in results)
            report.Require(r.HeldMb > 0, $"C: {r.Target} has no memory reading");
        foreach (var r in results)
            report.Add(r.Connections, r.Target, r.EmptyMb, r.HeldMb, r.KbPerConnection, Ratio.Of(r.KbPerConnection, chorus));
        return report;
    }

    private static async Task<Result> RunOneAsync(IBenchTarget target, int connections, TextWriter log)
    {
        await using var server = await target.StartAsync();
        var clients = new List<IBenchClient>();
        try
        {
            // one connection first, so that the baseline includes what any first connection loads (code, pools)
            clients.Add(await target.ConnectAsync(server, "warmup", "warmup", _ => { }));
            await Task.Delay(Settle);
            long empty = server.ResidentBytes();
            clients.AddRange(await Measure.ConnectManyAsync(target, server, connections, i => $"room{i / RoomSize}", i => $"u{i}", _ => _ => { }));
            await Task.Delay(Settle);
            long held = server.ResidentBytes();
            log.WriteLine($"  {connections} held; server RSS {empty / 1048576.0:F1} MB → {held / 1048576.0:F1} MB");
            return new Result(target.Name, connections, empty / 1048576.0, held / 1048576.0, (held - empty) / 1024.0 / connections);
        }
        finally
        {
            await Measure.DisposeAllAsync(clients);
        }
    }
}
