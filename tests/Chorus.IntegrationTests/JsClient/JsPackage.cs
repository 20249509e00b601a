using System.Diagnostics;
using System.Text;

namespace Chorus.IntegrationTests.JsClient;

/// <summary>
/// The TypeScript client package (clients/js) for the tests: finds Node.js and npm, installs the package's
/// devDependencies when node_modules is missing (<c>npm ci</c>), builds it (<c>npm run build</c>) once per test run,
/// and runs processes with a deadline. A machine without Node.js fails with a message naming what to install.
/// </summary>
public static class JsPackage
{
    private static readonly SemaphoreSlim s_buildLock = new(1, 1);
    private static bool s_built;

    /// <summary>The repository's root (the directory holding Chorus.slnx).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>clients/js in this checkout.</summary>
    public static string Directory => Path.Combine(RepoRoot, "clients", "js");

    /// <summary>What to install when node or npm is missing.</summary>
    public const string InstallHint = "Node.js 20 or later with npm is needed for the TypeScript client's tests (clients/js): install it, e.g. `apt-get install nodejs npm` on Debian, and make sure `node` and `npm` are on PATH";

    /// <summary>The full path of <c>node</c>; fails the test when it is not on PATH.</summary>
    public static string Node => FindOnPath(OperatingSystem.IsWindows() ? "node.exe" : "node") ?? throw new Xunit.Sdk.XunitException($"`node` was not found on PATH. {InstallHint}");

    /// <summary>The full path of <c>npm</c>; fails the test when it is not on PATH.</summary>
    public static string Npm => FindOnPath(OperatingSystem.IsWindows() ? "npm.cmd" : "npm") ?? throw new Xunit.Sdk.XunitException($"`npm` was not found on PATH. {InstallHint}");

    /// <summary>Installs (when node_modules is missing) and builds the package, once per test run; fails the test with npm's output if either step fails.</summary>
    public static async Task EnsureBuiltAsync()
    {
        await s_buildLock.WaitAsync();
        try
        {
            if (s_built) return;
            string npm = Npm;
            _ = Node;
            if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules")))
            {
                var install = await RunAsync(npm, ["ci", "--no-audit", "--no-fund"], Directory, TimeSpan.FromMinutes(5));
                Assert.True(install.ExitCode == 0, $"`npm ci` in clients/js failed (exit {install.ExitCode}):\n{install.Output}");
            }
            var build = await RunAsync(npm, ["run", "build"], Directory, TimeSpan.FromMinutes(3));
            Assert.True(build.ExitCode == 0, $"`npm run build` in clients/js failed (exit {build.ExitCode}):\n{build.Output}");
            Assert.True(File.Exists(Path.Combine(Directory, "dist", "index.js")), "`npm run build` did not write clients/js/dist/index.js");
            s_built = true;
        }
        finally
        {
            s_buildLock.Release();
        }
    }

    /// <summary>The result of a process: its exit code, standard output, and both streams together (for failure messages).</summary>
    public sealed record ProcessResult(int ExitCode, string Stdout, string Output);

    /// <summary>Runs a process to its end; kills it (with its children) and fails the test when it outlives <paramref name="deadline"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan deadline)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["npm_config_update_notifier"] = "false";
        var stdout = new StringBuilder();
        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) { stdout.AppendLine(e.Data); output.AppendLine(e.Data); }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            string partial;
            lock (output) partial = output.ToString();
            throw new Xunit.Sdk.XunitException($"`{Path.GetFileName(fileName)} {string.Join(' ', arguments)}` did not finish within {deadline.TotalSeconds} s; its output so far:\n{partial}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (output) return new ProcessResult(process.ExitCode, stdout.ToString(), output.ToString());
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (with Chorus.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
