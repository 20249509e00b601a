using System.CommandLine;
using System.Diagnostics;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus bench [fanout|rooms|idle|chat|all] [options]</c>: runs the benchmark tool of a Chorus source checkout
/// (bench/Chorus.Bench, built in Release) with the same arguments; see the README's performance section.
/// </summary>
internal static class BenchCommand
{
    private const string Project = "bench/Chorus.Bench/Chorus.Bench.csproj";

    public static Command Create()
    {
        var command = new Command("bench", "Run the benchmarks (chorus-bench) of this source checkout; arguments go to chorus-bench, e.g. `chorus bench all --smoke`.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Only the directory it is started in counts (as documented): not the checkout the chorus binary was built in.
            string? root = FindCheckout(Directory.GetCurrentDirectory());
            if (root is null)
            {
                CommandLineErrors.Refuse("bench", $"run it inside a Chorus source checkout (no {Project} found above this directory)", seeHelp: false);
                return 2;
            }
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = root };
            foreach (string a in (string[])["run", "-c", "Release", "--project", Path.Combine(root, Project), "--"]) info.ArgumentList.Add(a);
            foreach (var token in parse.UnmatchedTokens) info.ArgumentList.Add(token);
            using var process = Process.Start(info)!;
            try { await process.WaitForExitAsync(cancellationToken); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw; }
            return process.ExitCode;
        });
        return command;
    }

    private static string? FindCheckout(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, Project))) return dir.FullName;
        return null;
    }
}
