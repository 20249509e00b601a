using System.Security.Cryptography;
using System.Text;
using Chorus.Storage.GroupCommit;
using Dapper;
using Npgsql;

namespace Chorus.Storage.Postgres;

/// <summary>
/// The server API's nonce memory in PostgreSQL (table <c>chorus_signature_nonces</c>), shared by every node given the same
/// database, so that a signed request is accepted at most once by the whole cluster. A nonce is recorded with one
/// insert on the unique key (app, nonce digest) that takes over an expired entry and leaves a live one alone: that insert
/// is the atomic replay check, also between nodes (a second node's insert of the same nonce waits for the first's
/// transaction and then finds its row). Records go through one writer loop that writes whatever is queued with one
/// statement in one transaction (group commit). Entries are SHA-256 digests of the nonce (16 bytes) and are pruned once
/// expired, by each node at most once a minute.
/// </summary>
public sealed class PostgresSignatureNonceStore : ISignatureNonceStore
{
    /// <summary>Most records committed together.</summary>
    public const int MaxBatch = 512;

    private const string StoreName = "signature nonce store";
    private const int MaxAttempts = 5;
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private readonly NpgsqlDataSource _data;
    private readonly bool _ownsData;
    private readonly TimeProvider _time;
    private GroupCommitQueue<Pending, bool> _queue = null!; // started once the schema is migrated
    private long _nextPruneMs;

    private PostgresSignatureNonceStore(NpgsqlDataSource data, bool ownsData, TimeProvider time)
    {
        _data = data;
        _ownsData = ownsData;
        _time = time;
    }

    /// <summary>Opens the store on <paramref name="connectionString"/>, applying the schema migrations.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="time">The clock that decides expiry.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ChatStoreException">The connection string is not valid, or the database cannot be reached or migrated.</exception>
    public static Task<PostgresSignatureNonceStore> OpenAsync(string connectionString, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(PostgresConnection.CreateDataSource(connectionString), ownsData: true, time, cancellationToken);

    /// <summary>Opens the store on a data source the caller keeps (and disposes).</summary>
    /// <inheritdoc cref="OpenAsync(string, TimeProvider?, CancellationToken)"/>
    public static Task<PostgresSignatureNonceStore> OpenAsync(NpgsqlDataSource dataSource, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(dataSource, ownsData: false, time, cancellationToken);

    private static async Task<PostgresSignatureNonceStore> OpenAsync(NpgsqlDataSource data, bool ownsData, TimeProvider? time, CancellationToken cancellationToken)
    {
        var store = new PostgresSignatureNonceStore(data, ownsData, time ?? TimeProvider.System);
        try
        {
            await PostgresSchema.MigrateAsync(data, cancellationToken);
        }
        catch
        {
            if (ownsData) await data.DisposeAsync();
            throw;
        }
        store._queue = new GroupCommitQueue<Pending, bool>(new NonceWriter(store), new GroupCommitOptions
        {
            MaxBatch = MaxBatch, MaxAttempts = MaxAttempts, Closed = () => PostgresFailures.Closed(StoreName),
        });
        return store;
    }

    /// <summary>Transactions committed so far (each may hold many records).</summary>
    public long Commits => _queue.Commits;

    /// <inheritdoc />
    public Task<bool> TryRecordAsync(uint appId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        return _queue.EnqueueAsync(new Pending(appId, Digest(nonce), expiresAt.ToUnixTimeMilliseconds()), cancellationToken);
    }

    /// <summary>Entries currently in the table, expired ones not yet pruned included.</summary>
    public async Task<long> CountEntriesAsync()
    {
        await using var c = await _data.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM chorus_signature_nonces");
    }

    private static byte[] Digest(string nonce)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(nonce), hash);
        return hash[..16].ToArray();
    }

    /// <summary>
    /// The database side of the writer: a batch runs whole with one statement (no savepoints: a record cannot fail on its
    /// own), again after a deadlock; any other failure fails every record of the batch: nothing of it is known to be
    /// recorded, every request in it is refused (fail closed), none is let through.
    /// </summary>
    private sealed class NonceWriter(PostgresSignatureNonceStore store) : IGroupCommitDatabase<Pending, bool>
    {
        public async ValueTask<IGroupCommitTransaction<Pending, bool>> BeginAsync()
        {
            var c = await store._data.OpenConnectionAsync();
            try
            {
                return new Transaction(store, c, await c.BeginTransactionAsync());
            }
            catch
            {
                await c.DisposeAsync();
                throw;
            }
        }

        public Exception? OperationFailure(Exception error) => null;

        public bool IsRetryable(Exception error) => PostgresFailures.IsRetryable(error);

        public Exception BatchFailure(Exception error)
        {
            if (!PostgresFailures.IsDatabaseError(error) && error is not (InvalidOperationException or ObjectDisposedException))
                return new ChatStoreException(ChatStoreFailure.Unavailable, $"a signature nonce commit failed: {error.Message}", error);
            if (PostgresFailures.IsConnectionError(error)) store._data.Clear(); // the pool's other connections are likely broken too
            return PostgresFailures.Wrap(error, "a signature nonce commit");
        }

        public void AfterCommit(Pending operation, bool result)
        {
        }
    }

    private sealed class Transaction(PostgresSignatureNonceStore store, NpgsqlConnection c, NpgsqlTransaction tx) : IGroupCommitTransaction<Pending, bool>
    {
        public async ValueTask<bool> TryRunAllAsync(IReadOnlyList<Pending> batch, bool[] results)
        {
            // Two requests with the same nonce in one batch: the first counts, the second is a replay of it.
            var first = new Dictionary<(uint, string), Pending>();
            foreach (var p in batch) first.TryAdd((p.AppId, p.Key), p);
            // One order on every node, so that two nodes inserting the same nonces wait for each other rather than deadlock.
            var distinct = first.OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal).Select(kv => kv.Value).ToList();
            long now = store._time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now >= store._nextPruneMs)
            {
                await c.ExecuteAsync("DELETE FROM chorus_signature_nonces WHERE expires_at <= @Now", new { Now = now }, tx);
                store._nextPruneMs = now + (long)PruneInterval.TotalMilliseconds;
            }
            // Inserts each nonce, or takes over an entry that has expired (not yet pruned); a live entry is left alone and
            // is not returned: that is a replay.
            var rows = await c.QueryAsync<(long App, byte[] Digest)>("""
                INSERT INTO chorus_signature_nonces(app_id, nonce_digest, expires_at)
                SELECT * FROM unnest(@Apps, @Digests, @Expires)
                ON CONFLICT (app_id, nonce_digest) DO UPDATE SET expires_at = excluded.expires_at WHERE chorus_signature_nonces.expires_at <= @Now
                RETURNING app_id, nonce_digest
                """, new
            {
                Apps = distinct.Select(p => (long)p.AppId).ToArray(), Digests = distinct.Select(p => p.Digest).ToArray(),
                Expires = distinct.Select(p => p.ExpiresAtMs).ToArray(), Now = now,
            }, tx);
            var recorded = rows.Select(r => (r.App, Convert.ToHexString(r.Digest))).ToHashSet();
            for (int i = 0; i < batch.Count; i++)
            {
                var p = batch[i];
                results[i] = ReferenceEquals(first[(p.AppId, p.Key)], p) && recorded.Contains((p.AppId, p.Key));
            }
            return true;
        }

        public ValueTask<bool> RunAsync(Pending operation) => throw new InvalidOperationException("the nonce batch runs whole");

        public ValueTask SavepointAsync() => throw new InvalidOperationException("the nonce batch runs whole");

        public ValueTask ReleaseSavepointAsync() => throw new InvalidOperationException("the nonce batch runs whole");

        public ValueTask RollbackToSavepointAsync() => throw new InvalidOperationException("the nonce batch runs whole");

        public ValueTask CommitAsync() => new(tx.CommitAsync());

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await c.DisposeAsync();
        }
    }

    /// <summary>Stops taking records, finishes the queued ones and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        if (_ownsData) await _data.DisposeAsync();
    }

    private sealed class Pending(uint appId, byte[] digest, long expiresAtMs)
    {
        public uint AppId { get; } = appId;
        public byte[] Digest { get; } = digest;
        /// <summary>The digest as hex, the key the batch compares records by (computed once).</summary>
        public string Key { get; } = Convert.ToHexString(digest);
        public long ExpiresAtMs { get; } = expiresAtMs;
    }
}
