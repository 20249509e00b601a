using System.Diagnostics;

namespace Chorus.IntegrationTests;

/// <summary>Keeps the benchmark working: a few seconds of each scenario against Chorus and the ceiling server (no figures are judged).</summary>
public class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_run_of_every_scenario_delivers_on_both_servers()
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "chorus-bench.dll"));
        info.ArgumentList.Add("all");
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
        Assert.Contains("| 50 | Chorus |", output);
        Assert.Contains("| 50 | ceiling (raw Kestrel) |", output);
        Assert.Contains("| 200 | Chorus | 100 |", output); // B: 5 publishers × 20/s offered
        Assert.Contains("| 200 | ceiling (raw Kestrel) | 100 |", output);
        Assert.Contains("## Scenario C: idle connections", output);
        Assert.Contains("| 20 | Chorus |", output); // D: 20 chat users
        Assert.DoesNotContain("problem:", output);
    }
}
