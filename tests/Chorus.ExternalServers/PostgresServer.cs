using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Chorus.ExternalServers;

/// <summary>
/// One PostgreSQL server per test process, started on first use (<see cref="GetSharedAsync"/>) on a free 127.0.0.1
/// port with its data in a temporary directory, and stopped when the process exits. Tests stay isolated by taking a
/// fresh database each (<see cref="CreateDatabaseAsync"/>). For tests only: trust authentication, fsync off.
/// As root (PostgreSQL refuses to run as root) it runs as the <c>postgres</c> OS user that the Debian package creates.
/// </summary>
public sealed partial class PostgresServer
{
    private const string OsUser = "postgres";
    private const string SuperUser = "postgres";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly object s_gate = new();
    private static Task<PostgresServer>? s_shared;

    private readonly ServerProcess _process;
    private readonly string _directory;
    private readonly NpgsqlDataSource _admin;
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private int _databases;

    private PostgresServer(ServerProcess process, string directory, int port, string binDirectory)
    {
        _process = process;
        _directory = directory;
        Port = port;
        BinDirectory = binDirectory;
        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = SuperUser, Database = "postgres", Pooling = false, Timeout = 5,
        }.ConnectionString;
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>The directory of the PostgreSQL programs used (initdb, postgres).</summary>
    public string BinDirectory { get; }

    /// <summary>An Npgsql connection string for the <c>postgres</c> database as the superuser (for administration in tests).</summary>
    public string AdminConnectionString { get; }

    /// <summary>Whether the server process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>What the server printed (for failure messages).</summary>
    public string Output => _process.Output;

    /// <summary>The server of this test process, started on the first call (later calls get the same one, or the same failure).</summary>
    /// <exception cref="ExternalServerException">PostgreSQL is not installed or did not start.</exception>
    public static Task<PostgresServer> GetSharedAsync()
    {
        lock (s_gate) return s_shared ??= Task.Run(() => StartAsync(durable: false));
    }

    /// <summary>
    /// A server of its own (not the shared one) with fsync, synchronous_commit and full_page_writes on, as a deployment
    /// runs it: for measurements (the benchmark), where the shared server's fsync=off would flatter every commit.
    /// Stopped when the process exits.
    /// </summary>
    /// <exception cref="ExternalServerException">PostgreSQL is not installed or did not start.</exception>
    public static Task<PostgresServer> StartDurableAsync() => Task.Run(() => StartAsync(durable: true));

    /// <summary>The postmaster's OS process id (its backends are its children).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Creates a fresh, empty database with a unique name and returns an Npgsql connection string for it (superuser,
    /// trust authentication, 127.0.0.1).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        string name = $"chorus_test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..12]}";
        // one CREATE DATABASE at a time: concurrent ones copying the same template can fail
        await _createGate.WaitAsync(cancellationToken);
        try
        {
            await using var command = _admin.CreateCommand($"CREATE DATABASE \"{name}\"");
            command.CommandTimeout = 60;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _createGate.Release();
        }
        return new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = SuperUser, Database = name,
        }.ConnectionString;
    }

    /// <summary>
    /// The directory with initdb and postgres: the one on PATH, else the newest /usr/lib/postgresql/VERSION/bin; null when none.
    /// </summary>
    public static string? FindBinDirectory()
    {
        if (Posix.FindProgram("postgres") is { } onPath && File.Exists(Path.Combine(Path.GetDirectoryName(onPath)!, "initdb")))
            return Path.GetDirectoryName(onPath);
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : -1))
            .Where(d => File.Exists(Path.Combine(d.Dir, "postgres")) && File.Exists(Path.Combine(d.Dir, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    private static async Task<PostgresServer> StartAsync(bool durable)
    {
        string bin = FindBinDirectory() ?? throw new ExternalServerException(
            "PostgreSQL was not found (no postgres and initdb on PATH or in /usr/lib/postgresql/*/bin): install the Debian " +
            "package postgresql (apt-get install postgresql; .ci/run installs it when missing)");
        bool root = Posix.IsRoot;
        string? asUser = null;
        if (root)
        {
            var (code, _) = await Posix.RunAsync("id", ["-u", OsUser], TimeSpan.FromSeconds(10));
            if (code != 0)
                throw new ExternalServerException(
                    $"PostgreSQL refuses to run as root and the OS user '{OsUser}' does not exist: the Debian package postgresql " +
                    $"creates it (apt-get install postgresql), or run the tests as another user");
            asUser = OsUser;
        }

        string directory = Directory.CreateTempSubdirectory("chorus-pg-").FullName;
        string data = Path.Combine(directory, "data");
        string sockets = Path.Combine(directory, "sock");
        Directory.CreateDirectory(sockets);
        try
        {
            if (root)
            {
                var (code, output) = await Posix.RunAsync("chown", ["-R", $"{OsUser}:{OsUser}", directory], TimeSpan.FromSeconds(10));
                if (code != 0) throw new ExternalServerException($"chown of {directory} to {OsUser} failed: {output.Trim()}");
            }
            var initdb = new List<string>();
            if (asUser is not null) initdb.AddRange([Posix.FindProgram("setpriv", "/usr/bin", "/bin") ?? "setpriv", $"--reuid={asUser}", $"--regid={asUser}", "--init-groups", "--"]);
            initdb.AddRange([Path.Combine(bin, "initdb"), "-D", data, "-U", SuperUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
            var (initCode, initOutput) = await Posix.RunAsync(initdb[0], initdb.Skip(1), TimeSpan.FromSeconds(120), workingDirectory: directory);
            if (initCode != 0) throw new ExternalServerException($"initdb failed with code {initCode}: {initOutput.Trim()}");
        }
        catch
        {
            Posix.TryDeleteDirectory(directory);
            throw;
        }

        string lastFailure = "";
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int port = Posix.FreeLoopbackPort();
            // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster ends its backends and exits at once
            var process = ServerProcess.Start(Path.Combine(bin, "postgres"),
            [
                "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-k", sockets,
                "-c", "listen_addresses=127.0.0.1",
                .. durable ? Array.Empty<string>() : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                "-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning",
            ], ownGroup: true, asUser: asUser, workingDirectory: directory, exitSignal: Posix.SigQuit, removeOnCrash: directory);
            var server = new PostgresServer(process, directory, port, bin);
            var deadline = DateTime.UtcNow + s_startTimeout;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                if (await server.CanConnectAsync()) return server.KeepUntilExit();
                await Task.Delay(100);
            }
            await process.DrainOutputAsync(TimeSpan.FromSeconds(2));
            lastFailure = process.HasExited
                ? $"postgres exited with code {process.ExitCode}: {process.Output.Trim()}"
                : $"postgres did not accept connections on port {port} within {s_startTimeout.TotalSeconds:0} s: {process.Output.Trim()}";
            await server.StopAsync(deleteDirectory: false);
            if (!AddressInUse().IsMatch(lastFailure)) break;
        }
        Posix.TryDeleteDirectory(directory);
        throw new ExternalServerException($"could not start PostgreSQL from {bin}: {lastFailure}");
    }

    [GeneratedRegex("in use|could not bind", RegexOptions.IgnoreCase)]
    private static partial Regex AddressInUse();

    private PostgresServer KeepUntilExit()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAsync(deleteDirectory: true).AsTask().Wait(TimeSpan.FromSeconds(10));
        return this;
    }

    private async Task<bool> CanConnectAsync()
    {
        try
        {
            await using var command = _admin.CreateCommand("SELECT 1");
            return await command.ExecuteScalarAsync() is 1;
        }
        catch (NpgsqlException) { return false; }
        catch (TimeoutException) { return false; }
    }

    private async ValueTask StopAsync(bool deleteDirectory)
    {
        await _admin.DisposeAsync();
        await _process.StopAsync(Posix.SigQuit, TimeSpan.FromSeconds(5));
        _process.Dispose();
        if (deleteDirectory) Posix.TryDeleteDirectory(_directory);
    }
}
