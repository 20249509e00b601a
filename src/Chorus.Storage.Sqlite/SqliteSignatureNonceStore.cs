using System.Security.Cryptography;
using System.Text;
using Chorus.Storage.GroupCommit;
using Microsoft.Data.Sqlite;

namespace Chorus.Storage.Sqlite;

/// <summary>
/// The server API's nonce memory in its own small SQLite file (WAL, <c>synchronous=FULL</c>), separate from the chat
/// database so that neither waits for the other's writes. A nonce is recorded with one insert-or-fail on the unique
/// key (app, nonce): that insert is the atomic replay check. Records go through one writer thread that commits whatever
/// is queued as one transaction (group commit): concurrent requests share one fsync. Entries are kept as
/// SHA-256 digests of the nonce (16 bytes, whatever the nonce's length) and pruned once expired, at most once a minute,
/// so the file holds at most the nonces of one timestamp window.
/// </summary>
public sealed class SqliteSignatureNonceStore : ISignatureNonceStore
{
    /// <summary>The default file name inside the data directory.</summary>
    public const string DefaultFileName = "signature-nonces.db";

    /// <summary>Most records committed together.</summary>
    public const int MaxBatch = 512;

    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS signature_nonces(
            app_id INTEGER NOT NULL, nonce_digest BLOB NOT NULL, expires_at INTEGER NOT NULL,
            PRIMARY KEY(app_id, nonce_digest)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS signature_nonces_by_expiry ON signature_nonces(expires_at);
        """;

    // Inserts the nonce, or takes over an entry that has expired (not yet pruned); a live entry is left alone and
    // the statement changes no row: that is a replay.
    private const string Record = """
        INSERT INTO signature_nonces(app_id, nonce_digest, expires_at) VALUES ($app, $digest, $expires)
        ON CONFLICT(app_id, nonce_digest) DO UPDATE SET expires_at = excluded.expires_at WHERE signature_nonces.expires_at <= $now
        """;

    private readonly SqliteConnection _db;
    private readonly SqliteCommand _record;
    private readonly SqliteCommand _prune;
    private readonly GroupCommitQueue<Pending, bool> _queue;
    private readonly TimeProvider _time;
    private long _nextPruneMs;

    /// <summary>Opens (creating if needed) the nonce file at <paramref name="path"/> and prunes expired entries.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="time">The clock that decides expiry.</param>
    public SqliteSignatureNonceStore(string path, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _db.Open();
        using (var setup = _db.CreateCommand())
        {
            // journal_size_limit: after a burst the WAL file is cut back to 4 MiB at the next checkpoint.
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA journal_size_limit=4194304;" + Schema;
            setup.ExecuteNonQuery();
        }
        _record = _db.CreateCommand();
        _record.CommandText = Record;
        _record.Parameters.Add("$app", SqliteType.Integer);
        _record.Parameters.Add("$digest", SqliteType.Blob);
        _record.Parameters.Add("$expires", SqliteType.Integer);
        _record.Parameters.Add("$now", SqliteType.Integer);
        _record.Prepare();
        _prune = _db.CreateCommand();
        _prune.CommandText = "DELETE FROM signature_nonces WHERE expires_at <= $now";
        _prune.Parameters.Add("$now", SqliteType.Integer);
        _prune.Prepare();
        Prune(transaction: null, _time.GetUtcNow().ToUnixTimeMilliseconds());
        _queue = new GroupCommitQueue<Pending, bool>(new NonceWriter(this), new GroupCommitOptions
        {
            MaxBatch = MaxBatch, DedicatedThreadName = "chorus-nonce-writer", Closed = () => SqliteFailures.Closed("signature nonce store"),
        });
    }

    /// <summary>Transactions committed so far (each may hold many records).</summary>
    public long Commits => _queue.Commits;

    /// <inheritdoc />
    public Task<bool> TryRecordAsync(uint appId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        return _queue.EnqueueAsync(new Pending(appId, Digest(nonce), expiresAt.ToUnixTimeMilliseconds()), cancellationToken);
    }

    /// <summary>Entries currently in the file, expired ones not yet pruned included.</summary>
    public long CountEntries()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _db.DataSource, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM signature_nonces";
        return (long)count.ExecuteScalar()!;
    }

    private static byte[] Digest(string nonce)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(nonce), hash);
        return hash[..16].ToArray();
    }

    private void Prune(SqliteTransaction? transaction, long nowMs)
    {
        _prune.Transaction = transaction;
        _prune.Parameters["$now"].Value = nowMs;
        _prune.ExecuteNonQuery();
        _nextPruneMs = nowMs + (long)PruneInterval.TotalMilliseconds;
    }

    // The whole batch runs at once (no savepoints: a record cannot fail on its own); any SQLite error fails every record of
    // the batch: nothing of it is recorded, every request in it is refused (fail closed), none is let through.
    private sealed class NonceWriter(SqliteSignatureNonceStore store) : SqliteGroupCommitDatabase<Pending, bool>(store._db)
    {
        protected override bool TryRunAll(SqliteTransaction transaction, IReadOnlyList<Pending> batch, bool[] results)
        {
            long now = store._time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now >= store._nextPruneMs) store.Prune(transaction, now);
            var record = store._record;
            record.Transaction = transaction;
            record.Parameters["$now"].Value = now;
            for (int i = 0; i < batch.Count; i++)
            {
                record.Parameters["$app"].Value = (long)batch[i].AppId;
                record.Parameters["$digest"].Value = batch[i].Digest;
                record.Parameters["$expires"].Value = batch[i].ExpiresAtMs;
                // Two requests with the same nonce in one batch: the second finds the first's row (a replay).
                results[i] = record.ExecuteNonQuery() == 1;
            }
            return true;
        }

        protected override bool Run(SqliteTransaction transaction, Pending operation) =>
            throw new InvalidOperationException("the nonce batch runs whole");

        public override Exception? OperationFailure(Exception error) => null;

        public override Exception BatchFailure(Exception error) => error is SqliteException sqlite
            ? SqliteFailures.Wrap(sqlite, "a signature nonce commit")
            : new ChatStoreException(ChatStoreFailure.Unavailable, $"a signature nonce commit failed: {error.Message}", error);
    }

    /// <summary>Stops taking records, finishes the queued ones and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        _record.Dispose();
        _prune.Dispose();
        await _db.DisposeAsync();
    }

    private sealed class Pending(uint appId, byte[] digest, long expiresAtMs)
    {
        public uint AppId { get; } = appId;
        public byte[] Digest { get; } = digest;
        public long ExpiresAtMs { get; } = expiresAtMs;
    }
}
