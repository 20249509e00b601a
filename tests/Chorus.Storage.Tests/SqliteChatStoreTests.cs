using Chorus.Protocol;
using Chorus.Storage.Sqlite;

namespace Chorus.Storage.Tests;

public sealed class SqliteChatStoreTests : ChatStoreConformanceTests
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"chorus-store-{Guid.NewGuid():N}.db");

    protected override Task<IChatStore> CreateStoreAsync() => Task.FromResult<IChatStore>(new SqliteChatStore(_path));

    protected override async Task<IChatStore> ReopenAsync(IChatStore store)
    {
        await store.DisposeAsync();
        return new SqliteChatStore(_path);
    }

    [Fact]
    public async Task Many_concurrent_writers_share_commits()
    {
        var store = (SqliteChatStore)Store;
        long before = store.Commits;
        var writes = Enumerable.Range(0, 300).Select(i => store.AppendAsync(new NewMessage
        {
            AppId = 1, ConversationType = ConversationType.Peer, ConversationKey = ConversationKeys.Peer($"u{i}", "hub"), SenderUserId = $"u{i}",
            Type = ChatMessageType.Text, Text = "x",
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(writes);
        long commits = store.Commits - before;
        Assert.InRange(commits, 1, 299); // group commit: fewer transactions (and fsyncs) than writes
        Assert.Equal("ok", await store.CheckIntegrityAsync());
    }

    [Fact]
    public async Task Live_delivery_hook_runs_in_sequence_order_and_not_for_duplicates()
    {
        var order = new System.Collections.Concurrent.ConcurrentQueue<long>();
        var writes = Enumerable.Range(0, 100).Select(i => Store.AppendAsync(new NewMessage
        {
            AppId = 1, ConversationType = ConversationType.Group, ConversationKey = "g", SenderUserId = $"u{i % 5}", LocalMessageId = i % 50 + 1,
            Type = ChatMessageType.Text, Text = "x", OnCommitted = m => order.Enqueue(m.Seq),
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(writes);
        Assert.Equal(Enumerable.Range(1, order.Count).Select(i => (long)i), order);
        Assert.Equal(50, order.Count); // the other 50 were retries of the same (sender, LocalMessageId)
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }
}
