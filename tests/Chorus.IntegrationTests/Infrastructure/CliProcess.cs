using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Chorus.IntegrationTests.Infrastructure;

/// <summary>The real <c>chorus</c> executable run as a child process, its stdout read line by line.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;

    private CliProcess(Process process)
    {
        _process = process;
        _pumps = Task.WhenAll(PumpStdoutAsync(), PumpStderrAsync());
    }

    public static CliProcess Start(params string[] args) => StartIn(null, args);

    /// <summary>Starts the process in <paramref name="workingDirectory"/> (null: this process's).</summary>
    public static CliProcess StartIn(string? workingDirectory, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "chorus.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Runs to completion (at most 30 s) and returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunInAsync(null, args);

    /// <summary>Runs to completion (at most 30 s) in <paramref name="workingDirectory"/> and returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunInAsync(string? workingDirectory, params string[] args)
    {
        await using var p = StartIn(workingDirectory, args);
        int code = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        while (p._lines.Reader.TryRead(out var l)) lines.Add(l);
        return (code, string.Join('\n', lines), p.Stderr);
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task<string> NextLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try { return await _lines.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"no output line in time; stderr: {Stderr}"); }
        catch (ChannelClosedException) { throw new Xunit.Sdk.XunitException($"the process ended; stderr: {Stderr}"); }
    }

    public async Task<JsonElement> NextJsonAsync(TimeSpan? timeout = null) =>
        JsonDocument.Parse(await NextLineAsync(timeout)).RootElement.Clone();

    /// <summary>The next JSON line whose "event" is <paramref name="name"/>, skipping others.</summary>
    public async Task<JsonElement> NextEventAsync(string name, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"no '{name}' line in time");
            var e = await NextJsonAsync(left);
            if (e.GetProperty("event").GetString() == name) return e;
        }
    }

    public async Task WriteLineAsync(string line)
    {
        // bounded: a child that stops reading its input must not hang the test
        await _process.StandardInput.WriteLineAsync(line).WaitAsync(TimeSpan.FromSeconds(15));
        await _process.StandardInput.FlushAsync().WaitAsync(TimeSpan.FromSeconds(15));
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>The next JSON line that is the result of <paramref name="op"/>, skipping events.</summary>
    public async Task<JsonElement> NextResultAsync(string op, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"no '{op}' result in time");
            var e = await NextJsonAsync(left);
            if (e.TryGetProperty("op", out var o) && o.GetString() == op) return e;
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"the process did not exit in time; stderr: {Stderr}"); }
        // A grandchild that inherited the pipes could keep them open: the pumps get a deadline too.
        try { await _pumps.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (TimeoutException) { throw new Xunit.Sdk.XunitException("the process exited but its output did not end within 10 s"); }
        return _process.ExitCode;
    }

    private async Task PumpStdoutAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line) _lines.Writer.TryWrite(line);
        _lines.Writer.TryComplete();
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
            lock (_stderr) _stderr.AppendLine(line);
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does; Linux and macOS only.</summary>
    public void Interrupt()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) throw new PlatformNotSupportedException("SIGINT needs a POSIX system");
        const int SigInt = 2;
        if (NativeMethods.kill(_process.Id, SigInt) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGINT) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Kills the process at once (SIGKILL on Linux): no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await WaitForKilledAsync();
        }
    }

    /// <summary>Sends SIGTERM (what a service manager sends to stop the server); Linux and macOS only.</summary>
    public void Terminate()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) throw new PlatformNotSupportedException("SIGTERM needs a POSIX system");
        const int SigTerm = 15;
        if (NativeMethods.kill(_process.Id, SigTerm) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);
    }

    /// <summary>After a kill the process ends at once; a bound keeps a wedged kill from hanging the test run.</summary>
    private async Task WaitForKilledAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"process {_process.Id} did not end within 30 s of SIGKILL"); }
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await WaitForKilledAsync();
        }
        _process.Dispose();
    }
}
