using System.CommandLine;
using System.Text;
using Chorus.Bench;
using Chorus.Bench.Scenarios;

// chorus-bench: each server under test runs in its own process and is measured from outside (/proc); see README.
var secondsOption = new Option<int>("--seconds") { Description = "Measured window per run, in seconds (default 10).", DefaultValueFactory = _ => 10 };
var warmupOption = new Option<int>("--warmup") { Description = "Warm-up per run, in seconds (default 15: the JIT's tiering settles first; see the README).", DefaultValueFactory = _ => 15 };
var smokeOption = new Option<bool>("--smoke") { Description = "A few seconds per scenario at small sizes, ceiling and Chorus only: checks the tool works, measures nothing worth quoting." };
var noPeersOption = new Option<bool>("--no-peers") { Description = "Leave out SignalR and Socket.IO (the ceiling and Chorus still run)." };
var outOption = new Option<string?>("--out") { Description = "Directory for the Markdown result (default bench/results; none with --smoke)." };
var subscribersOption = new Option<int[]>("--subscribers") { Description = "A: subscriber counts (default 500 2000).", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [500, 2000] };
var connectionsOption = new Option<int>("--connections") { Description = "B: connections, in rooms of 10 (default 2000).", DefaultValueFactory = _ => 2000 };
var publishersOption = new Option<int>("--publishers") { Description = "B: publishers, one per room (default 20).", DefaultValueFactory = _ => 20 };
var rateOption = new Option<int>("--rate") { Description = "B: messages per second per publisher (default 100).", DefaultValueFactory = _ => 100 };
var idleOption = new Option<int>("--idle-connections") { Description = "C: idle connections held (default 10000).", DefaultValueFactory = _ => 10_000 };
var usersOption = new Option<int>("--users") { Description = "D: chat users (default 200).", DefaultValueFactory = _ => 200 };
var nodesOption = new Option<int[]>("--nodes")
{
    Description = "cluster: node counts on Redis + PostgreSQL, each run beside one embedded node (default 1 2 3; with --smoke 2).",
    AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [1, 2, 3],
};

var root = new RootCommand("Chorus benchmarks: Chorus beside the ceiling server, SignalR and Socket.IO, each server in its own process, measured from outside.");
Add("fanout", "Scenario A: room fan-out, 1 publisher to N subscribers, 100-byte payloads.", ["A"]);
Add("rooms", "Scenario B: connections in rooms of 10, publishers at a fixed rate: latency and CPU at that load.", ["B"]);
Add("idle", "Scenario C: idle connections held: server memory per connection.", ["C"]);
Add("chat", "Scenario D: chat users sending peer and group messages with durable acknowledgment (Chorus only).", ["D"]);
Add("all", "Scenarios A to D, one after another, into one result file.", ["A", "B", "C", "D"]);
Add("cluster", "Many nodes: A with the subscribers spread over N nodes on one redis-server and PostgreSQL, beside the ceiling and one embedded node; " +
    "C (idle memory, Redis's too) and D (chat) on PostgreSQL and on N nodes, beside SQLite. Needs redis-server and PostgreSQL installed (started on free loopback ports).",
    ["A-cluster", "C-cluster", "D-cluster"]);
return await root.Parse(args).InvokeAsync();

void Add(string name, string description, string[] scenarios)
{
    var command = new Command(name, description)
    {
        secondsOption, warmupOption, smokeOption, noPeersOption, outOption, subscribersOption, connectionsOption, publishersOption, rateOption, idleOption, usersOption,
    };
    if (name == "cluster") command.Options.Add(nodesOption);
    command.SetAction(async (parse, cancellationToken) =>
    {
        bool smoke = parse.GetValue(smokeOption);
        int[] nodeCounts = name != "cluster" ? [] : smoke && parse.GetResult(nodesOption) is not { Implicit: false } ? [2] : parse.GetValue(nodesOption)!;
        if (ClusterScenario.CheckNodeCounts(nodeCounts) is { } badNodes && name == "cluster")
        {
            Console.Error.WriteLine(badNodes);
            return 2;
        }
        string loadBefore = ScenarioReport.LoadAverage();
        var window = TimeSpan.FromSeconds(smoke ? 2 : parse.GetValue(secondsOption));
        var warmup = TimeSpan.FromSeconds(smoke ? 1 : parse.GetValue(warmupOption));
        var targets = name == "cluster" ? [] : BenchTargets.All(withPeers: !smoke && !parse.GetValue(noPeersOption), Console.Out);
        var reports = new List<ScenarioReport>();
        foreach (string scenario in scenarios)
        {
            reports.Add(scenario switch
            {
                "A" => await FanoutScenario.RunAsync(targets, smoke ? [50] : parse.GetValue(subscribersOption)!, warmup, window, Console.Out),
                "B" => await RoomsScenario.RunAsync(targets, smoke ? 200 : parse.GetValue(connectionsOption), smoke ? 5 : parse.GetValue(publishersOption),
                    smoke ? 20 : parse.GetValue(rateOption), warmup, window, Console.Out),
                "C" => await IdleScenario.RunAsync(targets, smoke ? 200 : parse.GetValue(idleOption), Console.Out),
                "A-cluster" => await ClusterScenario.RunFanoutAsync(nodeCounts, smoke ? [50] : parse.GetValue(subscribersOption)!, warmup, window, Console.Out),
                "C-cluster" => await ClusterScenario.RunIdleAsync(nodeCounts, smoke ? 200 : parse.GetValue(idleOption), TimeSpan.FromSeconds(smoke ? 2 : 12), Console.Out),
                "D-cluster" => await ClusterScenario.RunChatAsync(nodeCounts, smoke ? 20 : parse.GetValue(usersOption), warmup, window, Console.Out),
                _ => await ChatScenario.RunAsync(smoke ? 20 : parse.GetValue(usersOption), warmup, window, Console.Out),
            });
        }

        string commandLine = "dotnet run -c Release --project bench/Chorus.Bench -- " + string.Join(' ', args);
        var markdown = new StringBuilder($"# Chorus benchmark: {string.Join(", ", reports.Select(r => r.Title.Split(':')[0]))}\n\n");
        markdown.AppendLine($"Load average (1, 5, 15 min) before the run: {loadBefore}.\n");
        foreach (var report in reports) markdown.AppendLine(report.ToMarkdown(commandLine));
        Console.WriteLine();
        Console.WriteLine(markdown);
        var problems = reports.SelectMany(r => r.Problems).ToList();
        foreach (string problem in problems) Console.WriteLine("problem: " + problem);
        if (smoke)
        {
            Console.WriteLine(problems.Count == 0 ? "smoke: ok" : "smoke: failed");
            return problems.Count == 0 ? 0 : 1;
        }
        string dir = parse.GetValue(outOption) ?? Path.Combine(ServerProcess.RepoRoot(), "bench", "results");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, $"{DateTime.UtcNow:yyyy-MM-dd-HHmm}-{name}.md");
        await File.WriteAllTextAsync(file, markdown.ToString(), cancellationToken);
        Console.WriteLine($"written to {file}");
        return 0;
    });
    root.Subcommands.Add(command);
}
