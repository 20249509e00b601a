using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Chorus.ExternalServers;

/// <summary>
/// A long-running child process (a server) whose stdout and stderr are captured. Optionally in a process group of its
/// own (through <c>setsid</c>), so that it and every process it starts can be killed at once. A small watchdog shell
/// kills it when this test process ends, even by a crash, and <see cref="AppDomain.ProcessExit"/> kills what is left on
/// a normal exit.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const int MaxCapturedChars = 64 * 1024;

    private static readonly ConcurrentDictionary<ServerProcess, byte> s_live = new();
    private static int s_exitHookInstalled;

    private readonly Process _process;
    private readonly Process? _watchdog;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stderr = new();
    private readonly Channel<string> _stdoutLines = Channel.CreateUnbounded<string>();
    private readonly Task _pumps;
    private readonly int _exitSignal;
    private int _stopped;
    private bool _disposed;
    private int? _exitCode;

    private ServerProcess(Process process, bool ownGroup, int exitSignal, string? removeOnCrash)
    {
        _process = process;
        OwnGroup = ownGroup;
        _exitSignal = exitSignal;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput, _stdoutLines.Writer, null), PumpAsync(process.StandardError, null, _stderr));
        _watchdog = StartWatchdog(process.Id, ownGroup, exitSignal, removeOnCrash);
        s_live.TryAdd(this, 0);
        if (Interlocked.Exchange(ref s_exitHookInstalled, 1) == 0)
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                // the exit signal first (PostgreSQL's immediate shutdown cleans up its shared memory), SIGKILL after 3 s
                var stops = s_live.Keys.Select(p => p._exitSignal == Posix.SigKill ? Task.Run(p.KillNow) : p.StopAsync(p._exitSignal, TimeSpan.FromSeconds(3))).ToArray();
                try { Task.WaitAll(stops, TimeSpan.FromSeconds(15)); } catch (AggregateException) { }
            };
    }

    /// <summary>
    /// Starts <paramref name="program"/>. <paramref name="ownGroup"/>: in a new session and process group (the process id
    /// is then the group id). <paramref name="asUser"/>: run as that OS user (needs root), without a process in between.
    /// <paramref name="exitSignal"/>: what the watchdog sends first when this test process ends (then SIGKILL after 1 s).
    /// </summary>
    public static ServerProcess Start(string program, IEnumerable<string> arguments, bool ownGroup, string? asUser = null,
        string? workingDirectory = null, int exitSignal = Posix.SigKill, IDictionary<string, string>? environment = null, string? removeOnCrash = null)
    {
        var command = new List<string>();
        if (ownGroup)
        {
            // setsid execs the program in place (a child of .NET is no group leader), so the pid stays the server's
            command.Add(Posix.FindProgram("setsid", "/usr/bin", "/bin") ?? throw new ExternalServerException("setsid not found (Debian package util-linux)"));
        }
        if (asUser is not null)
        {
            // setpriv execs in place too (runuser would stay as a parent process)
            command.Add(Posix.FindProgram("setpriv", "/usr/bin", "/bin") ?? throw new ExternalServerException("setpriv not found (Debian package util-linux)"));
            command.AddRange([$"--reuid={asUser}", $"--regid={asUser}", "--init-groups", "--"]);
        }
        command.Add(program);
        command.AddRange(arguments);
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ExternalServerException($"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ExternalServerException($"could not start {program}: {ex.Message}", ex);
        }
        return new ServerProcess(process, ownGroup, exitSignal, removeOnCrash);
    }

    public int Id => _process.Id;

    public bool OwnGroup { get; }

    public bool HasExited => _disposed || _process.HasExited;

    public int ExitCode => _exitCode ?? _process.ExitCode;

    /// <summary>The captured stdout and stderr (the last 64 K characters), for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The captured stderr alone (the last 64 K characters).</summary>
    public string Stderr { get { lock (_output) return _stderr.ToString(); } }

    /// <summary>Stdout lines as they come; completed when stdout ends.</summary>
    public ChannelReader<string> StdoutLines => _stdoutLines.Reader;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Waits for the output pumps to finish after the process has ended (bounded).</summary>
    public async Task DrainOutputAsync(TimeSpan timeout)
    {
        try { await _pumps.WaitAsync(timeout); } catch (TimeoutException) { }
    }

    /// <summary>Sends <paramref name="signal"/> to the process (not its group).</summary>
    public bool Signal(int signal) => !HasExited && Posix.Kill(_process.Id, signal);

    /// <summary>SIGKILL to the process and, when it has its own group, to every process of the group; waits (bounded) for it to end.</summary>
    public void KillNow()
    {
        if (_disposed) return;
        if (OwnGroup) Posix.Kill(-_process.Id, Posix.SigKill);
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
        _process.WaitForExit(10_000);
        Finish();
    }

    /// <summary>Sends <paramref name="signal"/>, waits up to <paramref name="timeout"/>, then SIGKILLs what is left.</summary>
    public async Task StopAsync(int signal, TimeSpan timeout)
    {
        if (!HasExited)
        {
            Posix.Kill(_process.Id, signal);
            using var cts = new CancellationTokenSource(timeout);
            try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        }
        KillNow();
    }

    private void Finish()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        s_live.TryRemove(this, out _);
        if (_watchdog is not null)
        {
            try { if (!_watchdog.HasExited) _watchdog.Kill(); } catch (InvalidOperationException) { }
            _watchdog.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        KillNow();
        if (_process.HasExited) _exitCode = _process.ExitCode;
        _disposed = true;
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader, ChannelWriter<string>? lines, StringBuilder? alsoTo)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines?.TryWrite(line);
                lock (_output)
                {
                    _output.AppendLine(line);
                    if (_output.Length > MaxCapturedChars) _output.Remove(0, _output.Length - MaxCapturedChars);
                    if (alsoTo is not null)
                    {
                        alsoTo.AppendLine(line);
                        if (alsoTo.Length > MaxCapturedChars) alsoTo.Remove(0, alsoTo.Length - MaxCapturedChars);
                    }
                }
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        finally
        {
            lines?.TryComplete();
        }
    }

    /// <summary>
    /// A shell that polls once a second whether this test process is alive and, once it is gone, signals the server
    /// (then SIGKILLs it, and its group) and removes its temporary directory. Costs one sleeping shell per server.
    /// </summary>
    private static Process? StartWatchdog(int serverPid, bool ownGroup, int exitSignal, string? removeOnCrash)
    {
        string? sh = Posix.FindProgram("sh", "/bin", "/usr/bin");
        if (sh is null) return null;
        string script = "while kill -0 \"$0\" 2>/dev/null; do sleep 1; done; kill -\"$2\" \"$1\" 2>/dev/null; sleep 1; "
            + (ownGroup ? "kill -9 -- -\"$1\" 2>/dev/null; " : "")
            + "kill -9 \"$1\" 2>/dev/null; "
            + "if [ -n \"$3\" ]; then sleep 1; rm -rf -- \"$3\"; fi";
        var info = new ProcessStartInfo(sh)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(serverPid.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(exitSignal.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(removeOnCrash ?? "");
        try { return Process.Start(info); }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
