using Chorus.Storage.Sqlite;

namespace Chorus.Storage.Tests;

public sealed class SqliteSignatureNonceStoreTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"chorus-nonces-{Guid.NewGuid():N}.db");
    private readonly ManualClock _clock = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        foreach (string suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_path + suffix);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_nonce_is_accepted_once_per_app_until_it_expires_also_after_reopening()
    {
        var expires = _clock.GetUtcNow().AddMinutes(11);
        await using (var store = new SqliteSignatureNonceStore(_path, _clock))
        {
            Assert.True(await store.TryRecordAsync(1, "4fd24687296dd9f3", expires, Ct));
            Assert.False(await store.TryRecordAsync(1, "4fd24687296dd9f3", expires, Ct));
            Assert.True(await store.TryRecordAsync(2, "4fd24687296dd9f3", expires, Ct)); // another app's nonces are its own
            Assert.True(await store.TryRecordAsync(1, "4fd24687296dd9f4", expires, Ct));
        }

        // a new process on the same file remembers them
        await using (var store = new SqliteSignatureNonceStore(_path, _clock))
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
    public async Task Concurrent_records_of_one_nonce_accept_exactly_one_and_share_commits()
    {
        await using var store = new SqliteSignatureNonceStore(_path, _clock);
        var expires = _clock.GetUtcNow().AddMinutes(11);
        long before = store.Commits;
        var same = Enumerable.Range(0, 50).Select(_ => Task.Run(() => store.TryRecordAsync(7, "same-nonce", expires, Ct), Ct));
        var distinct = Enumerable.Range(0, 250).Select(i => Task.Run(() => store.TryRecordAsync(7, $"nonce-{i}", expires, Ct), Ct));
        bool[] sameResults = await Task.WhenAll(same);
        bool[] distinctResults = await Task.WhenAll(distinct);
        Assert.Equal(1, sameResults.Count(r => r));
        Assert.All(distinctResults, Assert.True);
        Assert.InRange(store.Commits - before, 1, 299); // group commit: fewer transactions (fsyncs) than records
    }

    [Fact]
    public async Task Expired_entries_are_pruned_so_the_file_holds_one_window_at_most()
    {
        var start = _clock.GetUtcNow();
        await using (var store = new SqliteSignatureNonceStore(_path, _clock))
        {
            for (int i = 0; i < 100; i++) Assert.True(await store.TryRecordAsync(1, $"old-{i}", start.AddMinutes(11), Ct));
            Assert.Equal(100, store.CountEntries());

            // past their expiry (and past the prune interval) the next record prunes them
            _clock.Now = start.AddMinutes(12);
            Assert.True(await store.TryRecordAsync(1, "new", _clock.Now.AddMinutes(11), Ct));
            Assert.Equal(1, store.CountEntries());

            for (int i = 0; i < 10; i++) Assert.True(await store.TryRecordAsync(1, $"later-{i}", _clock.Now.AddMinutes(11), Ct));
        }

        // opening prunes too
        _clock.Now = start.AddHours(1);
        await using (var store = new SqliteSignatureNonceStore(_path, _clock))
            Assert.Equal(0, store.CountEntries());
    }

    [Fact]
    public async Task Long_nonces_are_stored_as_fixed_size_digests()
    {
        await using var store = new SqliteSignatureNonceStore(_path, _clock);
        var expires = _clock.GetUtcNow().AddMinutes(11);
        string longNonce = new('n', 100_000);
        Assert.True(await store.TryRecordAsync(1, longNonce, expires, Ct));
        Assert.False(await store.TryRecordAsync(1, longNonce, expires, Ct));
        Assert.True(await store.TryRecordAsync(1, longNonce + "x", expires, Ct));
        Assert.True(new FileInfo(_path).Length + new FileInfo(_path + "-wal").Length < 200_000, "the nonce itself was stored");
    }

    [Fact]
    public async Task A_disposed_store_refuses_records()
    {
        var store = new SqliteSignatureNonceStore(_path, _clock);
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
