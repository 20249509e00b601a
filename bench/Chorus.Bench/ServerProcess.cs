using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Chorus.Bench;

/// <summary>A server under test in its own process, measured from /proc: CPU time (user + system) and resident memory.</summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Starts <c>dotnet DLL args</c> (a DLL next to the load generator) and waits for the address it prints.</summary>
    public static Task<ServerProcess> StartDotnetAsync(string dll, IEnumerable<string> args, IDictionary<string, string> environment) =>
        StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. args], null, environment);

    /// <summary>Something that lives as long as the server (the Socket.IO agent, a data directory); disposed after it stops.</summary>
    public IAsyncDisposable? Companion { get; set; }

    /// <summary>Starts <c>node SCRIPT</c> in <paramref name="directory"/>, after <c>npm ci</c> when its packages are not installed.</summary>
    public static async Task<ServerProcess> StartNodeAsync(string directory, string script)
    {
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = directory, UseShellExecute = false })!;
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci failed in {directory}");
        }
        return await StartAsync("node", [script], directory, new Dictionary<string, string> { ["NODE_ENV"] = "production" });
    }

    /// <summary>Starts a server and waits for the address it prints (a line holding http://127.0.0.1:PORT).</summary>
    private static async Task<ServerProcess> StartAsync(string program, IEnumerable<string> args, string? directory, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null) info.WorkingDirectory = directory;
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var m = UrlPattern().Match(line);
            if (m.Success)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return new ServerProcess(process, new Uri(m.Value));
            }
        }
        string said = await stderr.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Trim() : "", TaskScheduler.Default);
        throw new InvalidOperationException($"{string.Join(' ', info.ArgumentList.Take(2).Select(Path.GetFileName))} exited without printing its address" +
            (said.Length > 0 ? ": " + said[Math.Max(0, said.Length - 2000)..] : ""));
    }

    /// <summary>The repository's root: the first parent of the load generator's directory that holds Chorus.slnx.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex UrlPattern();

    /// <summary>User + system CPU time so far, from /proc/PID/stat.</summary>
    public TimeSpan CpuTime() => CpuTimeOf(_process.Id);

    /// <summary>User + system CPU time so far of any process, from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
    public static TimeSpan CpuTimeOf(int processId) => TimeSpan.FromMilliseconds(Stat(processId) is { } f ? (long.Parse(f[11]) + long.Parse(f[12])) * 10 : 0);

    /// <summary>
    /// CPU time of a process and its children now alive (PostgreSQL's postmaster and its backends), from /proc; a
    /// child that ended takes its time with it, so read this only while the children live (a connection pool's).
    /// </summary>
    public static TimeSpan CpuTimeOfTree(int processId)
    {
        var total = CpuTimeOf(processId);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out int pid) && pid != processId && Stat(pid) is { } f && f[1] == processId.ToString(System.Globalization.CultureInfo.InvariantCulture))
                total += CpuTimeOf(pid);
        return total;
    }

    /// <summary>The fields of /proc/PID/stat after the command name (index 0 is field 3, the state), or null when it has ended.</summary>
    private static string[]? Stat(int processId)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{processId}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
    }

    /// <summary>Resident memory, from /proc/PID/status (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
        if (Companion is not null) await Companion.DisposeAsync();
    }
}
