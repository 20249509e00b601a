using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
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
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeProvider _time;
    private Task _writer = Task.CompletedTask;
    private long _nextPruneMs;
    private long _commits;

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
        store._writer = Task.Run(store.WriterLoopAsync, CancellationToken.None);
        return store;
    }

    /// <summary>Transactions committed so far (each may hold many records).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <inheritdoc />
    public Task<bool> TryRecordAsync(uint appId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        var pending = new Pending(appId, Digest(nonce), expiresAt.ToUnixTimeMilliseconds());
        if (!_queue.Writer.TryWrite(pending)) throw PostgresFailures.Closed(StoreName);
        return pending.Done.Task.WaitAsync(cancellationToken);
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

    private async Task WriterLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var p)) batch.Add(p);
            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the writer goes on: the batch's records fail (closed), later ones are not left waiting.
                var failure = new ChatStoreException(ChatStoreFailure.Unavailable, $"a signature nonce commit failed: {ex.Message}", ex);
                foreach (var p in batch) p.Done.TrySetException(failure);
            }
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        // Two requests with the same nonce in one batch: the first counts, the second is a replay of it.
        var first = new Dictionary<(uint, string), Pending>();
        foreach (var p in batch) first.TryAdd((p.AppId, p.Key), p);
        // One order on every node, so that two nodes inserting the same nonces wait for each other rather than deadlock.
        var distinct = first.OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal).Select(kv => kv.Value).ToList();
        HashSet<(long, string)> recorded;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                await using var c = await _data.OpenConnectionAsync();
                await using var tx = await c.BeginTransactionAsync();
                if (now >= _nextPruneMs)
                {
                    await c.ExecuteAsync("DELETE FROM chorus_signature_nonces WHERE expires_at <= @Now", new { Now = now }, tx);
                    _nextPruneMs = now + (long)PruneInterval.TotalMilliseconds;
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
                recorded = rows.Select(r => (r.App, Convert.ToHexString(r.Digest))).ToHashSet();
                await tx.CommitAsync();
                Interlocked.Increment(ref _commits);
                break;
            }
            catch (Exception ex) when (PostgresFailures.IsRetryable(ex) && attempt < MaxAttempts)
            {
            }
            catch (Exception ex) when (PostgresFailures.IsDatabaseError(ex) || ex is InvalidOperationException or ObjectDisposedException)
            {
                // Nothing of the batch is known to be recorded: every request in it is refused (fail closed), none is let through.
                if (PostgresFailures.IsConnectionError(ex)) _data.Clear(); // the pool's other connections are likely broken too
                var failure = PostgresFailures.Wrap(ex, "a signature nonce commit");
                foreach (var p in batch) p.Done.TrySetException(failure);
                return;
            }
        }
        foreach (var p in batch)
            p.Done.TrySetResult(ReferenceEquals(first[(p.AppId, p.Key)], p) && recorded.Contains((p.AppId, p.Key)));
    }

    /// <summary>Stops taking records, finishes the queued ones and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        if (_ownsData) await _data.DisposeAsync();
    }

    private sealed class Pending(uint appId, byte[] digest, long expiresAtMs)
    {
        public uint AppId { get; } = appId;
        public byte[] Digest { get; } = digest;
        /// <summary>The digest as hex, the key the batch compares records by (computed once).</summary>
        public string Key { get; } = Convert.ToHexString(digest);
        public long ExpiresAtMs { get; } = expiresAtMs;
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
