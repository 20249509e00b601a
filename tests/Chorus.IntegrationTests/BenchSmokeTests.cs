using System.Diagnostics;

namespace Chorus.IntegrationTests;

/// <summary>Keeps the benchmark working: a few seconds of each scenario against Chorus and the ceiling server, and of the multi-node command (no figures are judged).</summary>
public class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_run_of_every_scenario_delivers_on_both_servers()
    {
        string output = await RunSmokeAsync("all");
        Assert.Contains("| 50 | Chorus |", output);
        Assert.Contains("| 50 | ceiling (raw Kestrel) |", output);
        Assert.Contains("| 200 | Chorus | 100 |", output); // B: 5 publishers × 20/s offered
        Assert.Contains("| 200 | ceiling (raw Kestrel) | 100 |", output);
        Assert.Contains("## Scenario C: idle connections", output);
        Assert.Contains("| 20 | Chorus |", output); // D: 20 chat users
        Assert.DoesNotContain("problem:", output);
    }

    /// <summary>
    /// The multi-node command: two real nodes on a fresh redis-server and PostgreSQL (needs both installed: the run fails
    /// naming what is missing), beside the ceiling and one embedded node; D on SQLite, PostgreSQL and the two nodes.
    /// </summary>
    [Fact]
    public async Task Smoke_run_of_the_cluster_command_delivers_across_two_nodes()
    {
        string output = await RunSmokeAsync("cluster");
        Assert.Contains("| 50 | ceiling (raw Kestrel) |", output);
        Assert.Contains("| 50 | Chorus, 1 node, embedded (SQLite) |", output);
        Assert.Contains("| 50 | Chorus, 2 nodes, Redis + PostgreSQL |", output);
        Assert.Contains("| 200 | Chorus, 2 nodes, Redis + PostgreSQL |", output); // C: 200 idle connections
        Assert.Contains("| 20 | Chorus, 1 node, PostgreSQL |", output); // D: 20 chat users
        Assert.Contains("| 20 | Chorus, 2 nodes, Redis + PostgreSQL |", output);
        Assert.Matches(@"50 subscribers, Chorus, 2 nodes, Redis \+ PostgreSQL: [\d,]+ broadcasts; Redis commands per broadcast: .*publish", output);
        Assert.DoesNotContain("problem:", output);
    }

    private static async Task<string> RunSmokeAsync(string command)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "chorus-bench.dll"));
        info.ArgumentList.Add(command);
        info.ArgumentList.Add("--smoke");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw; }
        string output = await stdout;
        Assert.True(process.ExitCode == 0, output + await stderr);
        Assert.Contains("smoke: ok", output);
        return output;
    }
}
