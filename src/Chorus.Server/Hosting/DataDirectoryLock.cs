using Chorus.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>
/// The data directory is in use by another process: another Chorus server holds its lock file.
/// </summary>
public sealed class DataDirectoryLockedException : IOException
{
    /// <summary>Creates the exception for the lock file at <paramref name="lockPath"/>.</summary>
    /// <param name="lockPath">The lock file.</param>
    /// <param name="inner">The failure to open it.</param>
    /// <param name="heldByAnother">True when the OS said another process holds the lock; false for any other failure.</param>
    public DataDirectoryLockedException(string lockPath, IOException inner, bool heldByAnother)
        : base(heldByAnother
            ? $"the data directory is in use: its lock file {lockPath} is held by another Chorus process (stop that server, or use another data directory)"
            : $"cannot take the data directory's lock file {lockPath}: {inner.Message}", inner)
    {
        LockPath = lockPath;
        HeldByAnother = heldByAnother;
    }

    /// <summary>True when another process holds the lock.</summary>
    public bool HeldByAnother { get; }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }
}

/// <summary>
/// An exclusive OS lock on <c>chorus.lock</c> in the data directory (a <see cref="FileStream"/> opened with
/// <see cref="FileShare.None"/>: <c>flock</c> on Unix, a sharing lock on Windows), held for the server's lifetime so
/// that two servers never share one data directory. The OS releases it when the process ends, however it ends, so a
/// crashed server never blocks the next start. Taken before any file of the data directory is opened: it is the
/// server's <see cref="IStorageLocation"/>, which stores call before they open their files.
/// </summary>
public sealed class DataDirectoryLock : IStorageLocation, IDisposable
{
    /// <summary>The lock file's name inside the data directory.</summary>
    public const string FileName = "chorus.lock";

    private readonly string _directory;
    private readonly Lock _gate = new();
    private FileStream? _file;
    private bool _disposed;

    /// <summary>Creates the (not yet taken) lock for the configured data directory.</summary>
    public DataDirectoryLock(IOptions<StorageOptions> options)
    {
        _directory = options.Value.DataDirectory;
        ChatDatabaseFileName = options.Value.DatabaseFileName;
    }

    /// <inheritdoc />
    public string DataDirectory => _directory;

    /// <inheritdoc />
    public string ChatDatabaseFileName { get; }

    /// <summary>The lock file's path.</summary>
    public string LockPath => Path.Combine(_directory, FileName);

    /// <summary>Takes the lock (creating the directory if needed); does nothing when already held.</summary>
    /// <exception cref="DataDirectoryLockedException">Another process holds it.</exception>
    public void Acquire()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_file is not null) return;
            Directory.CreateDirectory(_directory);
            FileStream file;
            try
            {
                file = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
            {
                throw new DataDirectoryLockedException(LockPath, ex, IsSharingViolation(ex));
            }
            try
            {
                // For people looking at the directory: who holds it (the lock itself is the OS lock, not this text).
                file.SetLength(0);
                using var writer = new StreamWriter(file, leaveOpen: true);
                writer.Write($"pid {Environment.ProcessId}, since {DateTimeOffset.UtcNow:O}\n");
            }
            catch (IOException) { /* the text is informational */ }
            _file = file;
        }
    }

    // Unix: flock(LOCK_EX|LOCK_NB) failed with EWOULDBLOCK (11 on Linux, 35 on macOS/BSD), which .NET reports as the
    // HResult; Windows: ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) as an HRESULT.
    private static bool IsSharingViolation(IOException ex) =>
        OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) is 32 or 33 : ex.HResult is 11 or 35;

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }
    }
}

/// <summary>Takes the <see cref="DataDirectoryLock"/> when the host starts (registered before every other service
/// that touches the data directory).</summary>
internal sealed class DataDirectoryLockService(DataDirectoryLock dataLock) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        dataLock.Acquire();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
