using System.Diagnostics;

namespace Chorus.ExternalServers;

/// <summary>
/// A real <c>chorus serve</c> process (the built CLI next to the tests, run with <c>dotnet</c>, as the integration tests'
/// CliProcess does), started with the given arguments; its <c>url:</c> line is read from stdout. Give it
/// <c>--port 0</c> or let it add that; without <c>--data</c> it gets a fresh temporary data directory, removed on dispose.
/// The test project must reference src/Chorus.Cli so that chorus.dll is copied next to it.
/// </summary>
public sealed class ChorusNode : IAsyncDisposable
{
    private static readonly TimeSpan s_defaultStartTimeout = TimeSpan.FromSeconds(60);

    private readonly ServerProcess _process;
    private readonly string? _ownDataDirectory;
    private readonly List<string> _stdout = [];

    private ChorusNode(ServerProcess process, string? ownDataDirectory, IReadOnlyList<string> arguments)
    {
        _process = process;
        _ownDataDirectory = ownDataDirectory;
        Arguments = arguments;
    }

    /// <summary>The server's address as printed on its <c>url:</c> line, such as http://127.0.0.1:41234/.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The arguments it was started with (after <c>serve</c>).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The OS process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once it has ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What it wrote on stderr (its logs; the last 64 K characters), for failure messages.</summary>
    public string Stderr => _process.Stderr;

    /// <summary>What it wrote on stdout and stderr (the last 64 K characters).</summary>
    public string Output => _process.Output;

    /// <summary>The path of the built CLI (chorus.dll next to the test assembly).</summary>
    public static string CliPath
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "chorus.dll");
            return File.Exists(path) ? path : throw new ExternalServerException(
                $"chorus.dll was not found in {AppContext.BaseDirectory}: the test project must reference src/Chorus.Cli/Chorus.Cli.csproj");
        }
    }

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Starts <c>chorus serve</c> with <paramref name="arguments"/> and waits (bounded) for its <c>url:</c> line.</summary>
    /// <exception cref="ExternalServerException">It ended before printing its url, or did not print it within the time.</exception>
    public static Task<ChorusNode> StartAsync(params string[] arguments) => StartAsync(arguments, null);

    /// <summary>Starts <c>chorus serve</c> with <paramref name="arguments"/> and waits (at most <paramref name="startTimeout"/>, default 60 s) for its <c>url:</c> line.</summary>
    /// <exception cref="ExternalServerException">It ended before printing its url, or did not print it within the time.</exception>
    public static async Task<ChorusNode> StartAsync(IEnumerable<string> arguments, TimeSpan? startTimeout, CancellationToken cancellationToken = default)
    {
        var args = arguments.ToList();
        string? dataDirectory = null;
        if (!args.Any(a => a == "--data" || a.StartsWith("--data=", StringComparison.Ordinal)))
        {
            dataDirectory = Directory.CreateTempSubdirectory("chorus-node-").FullName;
            args.InsertRange(0, ["--data", dataDirectory]);
        }
        if (!args.Any(a => a == "--port" || a.StartsWith("--port=", StringComparison.Ordinal))) args.InsertRange(0, ["--port", "0"]);
        var process = ServerProcess.Start(DotnetHost, [CliPath, "serve", .. args], ownGroup: false, removeOnCrash: dataDirectory);
        var node = new ChorusNode(process, dataDirectory, args);
        var timeout = startTimeout ?? s_defaultStartTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (await process.StdoutLines.WaitToReadAsync(cts.Token))
            {
                while (process.StdoutLines.TryRead(out var line))
                {
                    lock (node._stdout) node._stdout.Add(line);
                    if (line.StartsWith("url: ", StringComparison.Ordinal))
                    {
                        node.Url = new Uri(line["url: ".Length..].Trim());
                        _ = node.KeepReadingStdoutAsync();
                        return node;
                    }
                }
            }
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            await process.DrainOutputAsync(TimeSpan.FromSeconds(2));
            string message = $"chorus serve exited with code {process.ExitCode} before printing its url; output: {process.Output.Trim()}";
            await node.DisposeAsync();
            throw new ExternalServerException(message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            string message = $"chorus serve printed no url within {timeout.TotalSeconds:0} s; output: {process.Output.Trim()}";
            await node.DisposeAsync();
            throw new ExternalServerException(message);
        }
        catch (TimeoutException)
        {
            string message = $"chorus serve closed its output but did not exit; output: {process.Output.Trim()}";
            await node.DisposeAsync();
            throw new ExternalServerException(message);
        }
    }

    /// <summary>
    /// Runs <c>chorus</c> with <paramref name="arguments"/> (the command included, e.g. "serve", ...) to completion, at
    /// most <paramref name="timeout"/> (default 60 s), and returns its exit code, stdout and stderr.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliPath);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new ExternalServerException("could not start chorus");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var bound = timeout ?? TimeSpan.FromSeconds(60);
        using var cts = new CancellationTokenSource(bound);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new ExternalServerException($"chorus {string.Join(' ', arguments)} did not exit within {bound.TotalSeconds:0} s");
        }
        return (p.ExitCode, await stdout.WaitAsync(TimeSpan.FromSeconds(10)), await stderr.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>The stdout lines read so far (url:, appId: ...).</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get { lock (_stdout) return [.. _stdout]; }
    }

    /// <summary>SIGSTOP: the process is frozen (as a stalled machine is) until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        if (!_process.Signal(Posix.SigStop)) throw new ExternalServerException("SIGSTOP failed: the node is not running");
    }

    /// <summary>SIGCONT: a frozen process runs again.</summary>
    public void Resume()
    {
        if (!_process.Signal(Posix.SigCont)) throw new ExternalServerException("SIGCONT failed: the node is not running");
    }

    /// <summary>SIGKILL: the process ends at once, no shutdown code runs. Waits (bounded) until it has ended.</summary>
    public void Kill() => _process.KillNow();

    /// <summary>
    /// SIGTERM (what a service manager sends), then waits up to <paramref name="timeout"/> (default 20 s) and returns the
    /// exit code. A process still running then is SIGKILLed and this throws.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        var bound = timeout ?? TimeSpan.FromSeconds(20);
        _process.Signal(Posix.SigTerm);
        using var cts = new CancellationTokenSource(bound);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            _process.KillNow();
            throw new ExternalServerException($"chorus serve did not exit within {bound.TotalSeconds:0} s of SIGTERM; output: {_process.Output.Trim()}");
        }
        _process.KillNow(); // nothing left to kill: retires the watchdog
        return _process.ExitCode;
    }

    private async Task KeepReadingStdoutAsync()
    {
        try
        {
            await foreach (var line in _process.StdoutLines.ReadAllAsync())
                lock (_stdout) _stdout.Add(line);
        }
        catch (InvalidOperationException) { }
    }

    /// <summary>Kills the process (if still running) and removes the data directory it was given by this class.</summary>
    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        if (_ownDataDirectory is not null) Posix.TryDeleteDirectory(_ownDataDirectory);
        return ValueTask.CompletedTask;
    }
}
