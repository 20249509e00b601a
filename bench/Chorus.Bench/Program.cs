using System.CommandLine;
using System.Globalization;
using System.Text;
using Chorus.Bench;

var subscribersOption = new Option<int[]>("--subscribers") { Description = "Subscriber counts to run (default 500 2000).", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [500, 2000] };
var secondsOption = new Option<int>("--seconds") { Description = "Measured window in seconds (default 10).", DefaultValueFactory = _ => 10 };
var warmupOption = new Option<int>("--warmup") { Description = "Warm-up in seconds (default 3).", DefaultValueFactory = _ => 3 };
var smokeOption = new Option<bool>("--smoke") { Description = "A few seconds with 50 subscribers: checks the tool works, measures nothing worth quoting." };
var outOption = new Option<string?>("--out") { Description = "Directory for the Markdown result (default bench/results; none with --smoke)." };
var fanout = new Command("fanout", "Scenario A: room fan-out, 1 publisher to N subscribers, 100-byte payloads, Chorus beside the ceiling server.")
{
    subscribersOption, secondsOption, warmupOption, smokeOption, outOption,
};
fanout.SetAction(async (parse, cancellationToken) =>
{
    bool smoke = parse.GetValue(smokeOption);
    int[] counts = smoke ? [50] : parse.GetValue(subscribersOption)!;
    var window = TimeSpan.FromSeconds(smoke ? 2 : parse.GetValue(secondsOption));
    var warmup = TimeSpan.FromSeconds(smoke ? 1 : parse.GetValue(warmupOption));
    IBenchTarget[] targets = [new RawTarget(), new ChorusTarget()];
    var results = new List<FanoutResult>();
    foreach (int n in counts)
        foreach (var target in targets)
        {
            Console.WriteLine($"running {target.Name} with {n} subscribers...");
            results.Add(await FanoutScenario.RunAsync(target, n, warmup, window, Console.Out));
        }

    string table = Report(results, parse.Tokens.Count == 0 ? "chorus-bench fanout" : "chorus-bench " + string.Join(' ', args));
    Console.WriteLine();
    Console.WriteLine(table);
    if (smoke)
    {
        bool ok = results.All(r => r.DeliveriesPerSecond > 0);
        Console.WriteLine(ok ? "smoke: ok" : "smoke: a target delivered nothing");
        return ok ? 0 : 1;
    }
    string dir = parse.GetValue(outOption) ?? Path.Combine(RepoRoot(), "bench", "results");
    Directory.CreateDirectory(dir);
    string file = Path.Combine(dir, $"{DateTime.UtcNow:yyyy-MM-dd-HHmm}-fanout.md");
    await File.WriteAllTextAsync(file, table, cancellationToken);
    Console.WriteLine($"written to {file}");
    return 0;
});
var root = new RootCommand("Chorus benchmarks: each server in its own process, measured from outside.") { fanout };
return await root.Parse(args).InvokeAsync();

static string Report(List<FanoutResult> results, string command)
{
    var sb = new StringBuilder();
    sb.AppendLine("# Scenario A: room fan-out (1 publisher, 100-byte payloads)");
    sb.AppendLine();
    sb.AppendLine($"Machine: {Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Loopback; load generator on the same machine.");
    sb.AppendLine($"Command: `dotnet run -c Release --project bench/Chorus.Bench -- {command.Replace("chorus-bench ", "")}`");
    sb.AppendLine();
    sb.AppendLine("| subscribers | server | deliveries/s | deliveries per server CPU-s | vs ceiling (per CPU-s) | p50 µs | p99 µs | p99.9 µs | server RSS MB | RSS KB / connection | server CPU (cores) |");
    sb.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    foreach (var group in results.GroupBy(r => r.Subscribers))
    {
        double ceiling = group.FirstOrDefault(r => r.Target.StartsWith("ceiling", StringComparison.Ordinal))?.DeliveriesPerCpuSecond ?? 0;
        foreach (var r in group)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Subscribers} | {r.Target} | {r.DeliveriesPerSecond:N0} | {r.DeliveriesPerCpuSecond:N0} | {(ceiling > 0 ? r.DeliveriesPerCpuSecond / ceiling : 0):F2}× | {r.P50Us:N0} | {r.P99Us:N0} | {r.P999Us:N0} | {r.ResidentMb:F1} | {r.ResidentKbPerConnection:F1} | {r.ServerCpuShare:F2} |"));
    }
    return sb.ToString();
}

static string CpuModel()
{
    try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"; }
    catch (IOException) { return "unknown CPU"; }
}

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
