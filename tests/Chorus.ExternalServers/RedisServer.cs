using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Chorus.ExternalServers;

/// <summary>
/// A fresh <c>redis-server</c> on a free 127.0.0.1 port, without persistence, its files in a temporary directory.
/// Disposing it kills it and removes the directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);

    private readonly ServerProcess _process;
    private readonly string _directory;

    private RedisServer(ServerProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it ("127.0.0.1:PORT"), as <c>chorus serve --redis</c> takes.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Whether the server process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>What the server printed (for failure messages).</summary>
    public string Output => _process.Output;

    /// <summary>The full path of redis-server, or null when it is not installed.</summary>
    public static string? FindExecutable() => Posix.FindProgram("redis-server", "/usr/bin", "/usr/local/bin", "/usr/sbin");

    /// <summary>Starts a fresh redis-server and waits (bounded) until it answers PING.</summary>
    /// <exception cref="ExternalServerException">redis-server is not installed or did not start.</exception>
    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        string executable = FindExecutable() ?? throw new ExternalServerException(
            "redis-server was not found on PATH or in /usr/bin: install the Debian package redis-server " +
            "(apt-get install redis-server; .ci/run installs it when missing)");
        string lastFailure = "";
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int port = Posix.FreeLoopbackPort();
            string directory = Directory.CreateTempSubdirectory("chorus-redis-").FullName;
            var process = ServerProcess.Start(executable,
            [
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--daemonize", "no", "--loglevel", "warning",
            ], ownGroup: true, workingDirectory: directory, removeOnCrash: directory);
            var server = new RedisServer(process, directory, port);
            var deadline = DateTime.UtcNow + s_startTimeout;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (await server.PingAsync(TimeSpan.FromSeconds(2), cancellationToken)) return server;
                await Task.Delay(50, cancellationToken);
            }
            await process.DrainOutputAsync(TimeSpan.FromSeconds(2));
            lastFailure = process.HasExited
                ? $"redis-server exited with code {process.ExitCode}: {process.Output.Trim()}"
                : $"redis-server did not answer PING on port {port} within {s_startTimeout.TotalSeconds:0} s: {process.Output.Trim()}";
            await server.DisposeAsync();
            // another process may have taken the port between our check and the server's bind: try another one
            if (!lastFailure.Contains("in use", StringComparison.OrdinalIgnoreCase)) break;
        }
        throw new ExternalServerException($"could not start {executable}: {lastFailure}");
    }

    /// <summary>Sends PING over a raw connection; true when it answered PONG within <paramref name="timeout"/>.</summary>
    public async Task<bool> PingAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[64];
            int n = await stream.ReadAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Kills the server and removes its directory.</summary>
    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        Posix.TryDeleteDirectory(_directory);
        return ValueTask.CompletedTask;
    }
}
