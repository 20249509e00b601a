using Chorus.Storage.Postgres;

namespace Chorus.Storage.Tests;

public sealed class PostgresSignatureNonceStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly ManualClock _clock = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

    [Fact]
    public async Task A_nonce_is_accepted_once_per_app_until_it_expires_also_after_reopening()
    {
        string db = await TestDatabase.CreateAsync();
        var expires = _clock.GetUtcNow().AddMinutes(11);
        await using (var store = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct))
        {
            Assert.True(await store.TryRecordAsync(1, "4fd24687296dd9f3", expires, Ct));
            Assert.False(await store.TryRecordAsync(1, "4fd24687296dd9f3", expires, Ct));
            Assert.True(await store.TryRecordAsync(2, "4fd24687296dd9f3", expires, Ct)); // another app's nonces are its own
            Assert.True(await store.TryRecordAsync(1, "4fd24687296dd9f4", expires, Ct));
        }

        // a new process on the same database remembers them
        await using (var store = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct))
        {
            Assert.False(await store.TryRecordAsync(1, "4fd24687296dd9f3", expires, Ct));
            Assert.False(await store.TryRecordAsync(2, "4fd24687296dd9f3", expires, Ct));

            // one millisecond before expiry it is still a replay; at expiry it may be used again
            _clock.Now = expires.AddMilliseconds(-1);
            Assert.False(await store.TryRecordAsync(1, "4fd24687296dd9f4", expires, Ct));
            _clock.Now = expires;
            Assert.True(await store.TryRecordAsync(1, "4fd24687296dd9f4", expires.AddMinutes(11), Ct));
            Assert.False(await store.TryRecordAsync(1, "4fd24687296dd9f4", expires.AddMinutes(11), Ct));
        }
    }

    [Fact]
    public async Task Two_nodes_recording_the_same_nonces_at_once_accept_each_exactly_once_and_share_commits()
    {
        string db = await TestDatabase.CreateAsync();
        await using var node1 = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct);
        await using var node2 = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct);
        var expires = _clock.GetUtcNow().AddMinutes(11);
        long before = node1.Commits + node2.Commits;
        // every nonce reaches both nodes (a replayed request sent to another node), in opposite orders
        var first = Enumerable.Range(0, 200).Select(i => Task.Run(() => node1.TryRecordAsync(7, $"nonce-{i}", expires, Ct), Ct));
        var second = Enumerable.Range(0, 200).Reverse().Select(i => Task.Run(() => node2.TryRecordAsync(7, $"nonce-{i}", expires, Ct), Ct));
        var same = Enumerable.Range(0, 40).Select(i => Task.Run(() => (i % 2 == 0 ? node1 : node2).TryRecordAsync(7, "same-nonce", expires, Ct), Ct));
        bool[] a = await Task.WhenAll(first), b = await Task.WhenAll(second), s = await Task.WhenAll(same);
        var accepted = a.Zip(b.Reverse(), (x, y) => (x ? 1 : 0) + (y ? 1 : 0)).ToList();
        Assert.All(accepted, n => Assert.Equal(1, n));
        Assert.Equal(1, s.Count(r => r));
        Assert.InRange(node1.Commits + node2.Commits - before, 2, 439); // group commit: fewer transactions than records
        Assert.False(await node2.TryRecordAsync(7, "nonce-0", expires, Ct));
        Assert.False(await node1.TryRecordAsync(7, "nonce-199", expires, Ct));
    }

    [Fact]
    public async Task Expired_entries_are_pruned_so_the_table_holds_one_window_at_most()
    {
        string db = await TestDatabase.CreateAsync();
        var start = _clock.GetUtcNow();
        await using var store = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct);
        for (int i = 0; i < 100; i++) Assert.True(await store.TryRecordAsync(1, $"old-{i}", start.AddMinutes(11), Ct));
        Assert.Equal(100, await store.CountEntriesAsync());

        // past their expiry (and past the prune interval) the next record prunes them
        _clock.Now = start.AddMinutes(12);
        Assert.True(await store.TryRecordAsync(1, "new", _clock.Now.AddMinutes(11), Ct));
        Assert.Equal(1, await store.CountEntriesAsync());
    }

    [Fact]
    public async Task Long_nonces_are_stored_as_fixed_size_digests()
    {
        string db = await TestDatabase.CreateAsync();
        await using var store = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct);
        var expires = _clock.GetUtcNow().AddMinutes(11);
        string longNonce = new('n', 100_000);
        Assert.True(await store.TryRecordAsync(1, longNonce, expires, Ct));
        Assert.False(await store.TryRecordAsync(1, longNonce, expires, Ct));
        Assert.True(await store.TryRecordAsync(1, longNonce + "x", expires, Ct));
        await using var c = new Npgsql.NpgsqlConnection(db);
        await c.OpenAsync(Ct);
        await using var length = new Npgsql.NpgsqlCommand("SELECT MAX(octet_length(nonce_digest)) FROM chorus_signature_nonces", c);
        Assert.Equal(16, (int)(await length.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task A_disposed_store_refuses_records()
    {
        string db = await TestDatabase.CreateAsync();
        var store = await PostgresSignatureNonceStore.OpenAsync(db, _clock, Ct);
        await store.DisposeAsync();
        var closed = await Assert.ThrowsAsync<ChatStoreException>(() => store.TryRecordAsync(1, "n", _clock.GetUtcNow().AddMinutes(11), Ct));
        Assert.Equal(ChatStoreFailure.Closed, closed.Kind);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
