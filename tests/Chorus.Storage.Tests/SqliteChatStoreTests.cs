using Chorus.Protocol;
using Chorus.Storage.Sqlite;

namespace Chorus.Storage.Tests;

/// <summary>What only the SQLite store has to do (its conformance suite runs in <see cref="SqliteMessageStoreTests"/> and its siblings).</summary>
public sealed class SqliteChatStoreTests : ChatStoreTestBase<SqliteStores>
{
    private string DatabasePath => Stores.Path;

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

    [Fact]
    public async Task A_data_directory_of_the_previous_schema_is_migrated()
    {
        var ct = TestContext.Current.CancellationToken;
        // What the previous version left: a dismissed group's messages without the group, and the old deduplication index.
        string path = DatabasePath + "-old";
        await using (var before = new SqliteChatStore(path))
            await before.AppendAsync(new NewMessage { AppId = 1, ConversationType = ConversationType.Group, ConversationKey = "old", SenderUserId = "u", Type = ChatMessageType.Text, Text = "x" }, ct);
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                DROP INDEX messages_by_local_id_in_conversation;
                CREATE UNIQUE INDEX messages_by_local_id ON messages(app_id, sender, local_id) WHERE local_id <> 0;
                DROP TABLE dismissed_groups; DROP TABLE group_leavers;
                PRAGMA user_version = 0;
                """;
            cmd.ExecuteNonQuery();
        }
        await using var store = new SqliteChatStore(path);
        Assert.Equal(GroupChange.Dismissed, await store.CreateGroupAsync(1, "old", "G", "thief", [], 10, 10, 1000, ct));
        var first = await store.AppendAsync(Peer1("a", "b", 7), ct);
        var other = await store.AppendAsync(Peer1("a", "c", 7), ct); // refused by the old index; a new message now
        Assert.False(other.Duplicate);
        Assert.NotEqual(first.Message.MessageId, other.Message.MessageId);
        Assert.Equal("ok", await store.CheckIntegrityAsync());

        static NewMessage Peer1(string from, string to, long localId) => new()
        {
            AppId = 1, ConversationType = ConversationType.Peer, ConversationKey = ConversationKeys.Peer(from, to), SenderUserId = from,
            LocalMessageId = localId, Type = ChatMessageType.Text, Text = "x",
        };
    }

    [Fact]
    public async Task A_version_2_data_directory_gains_the_kicked_flag_and_the_owner_of_dismissed_groups()
    {
        var ct = TestContext.Current.CancellationToken;
        string path = DatabasePath + "-v2";
        await using (var before = new SqliteChatStore(path))
        {
            Assert.Equal(GroupChange.Done, await before.CreateGroupAsync(1, "g", "G", "owner", ["left"], 10, 10, 1000, ct));
            await before.AppendAsync(new NewMessage { AppId = 1, ConversationType = ConversationType.Group, ConversationKey = "g", SenderUserId = "owner", Type = ChatMessageType.Text, Text = "x" }, ct);
        }
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            // the version 2 shape of the two tables, with a leave point written then
            cmd.CommandText = """
                DROP TABLE group_leavers; DROP TABLE dismissed_groups; DROP INDEX IF EXISTS dismissed_groups_by_owner;
                CREATE TABLE group_leavers(app_id INTEGER NOT NULL, group_id TEXT NOT NULL, user_id TEXT NOT NULL, left_seq INTEGER NOT NULL, left_at INTEGER NOT NULL,
                    PRIMARY KEY(app_id, group_id, user_id)) WITHOUT ROWID;
                CREATE TABLE dismissed_groups(app_id INTEGER NOT NULL, group_id TEXT NOT NULL, dismissed_at INTEGER NOT NULL, PRIMARY KEY(app_id, group_id)) WITHOUT ROWID;
                DELETE FROM group_members WHERE user_id = 'left';
                INSERT INTO group_leavers VALUES (1, 'g', 'left', 1, 0);
                PRAGMA user_version = 2;
                """;
            cmd.ExecuteNonQuery();
        }
        await using var store = new SqliteChatStore(path);
        var left = await store.GetGroupAccessAsync(1, "g", "left", ct);
        Assert.Equal((false, (long?)1, false), (left.IsMember, left.LeftAtSeq, left.WasKicked)); // an old leave point counts as left
        Assert.Equal(["owner"], await store.KickGroupMembersAsync(1, "g", ["owner", "left"], ct));
        Assert.True((await store.GetGroupAccessAsync(1, "g", "owner", ct)).WasKicked);
        Assert.Equal(GroupChange.Done, await store.DismissGroupAsync(1, "g", ct));
        // the dismissed group counts against its owner's creations of the hour
        Assert.Equal(GroupChange.CreateRateLimit, await store.CreateGroupAsync(1, "h", "H", "owner", [], 10, 10, 1, ct));
        Assert.Equal(GroupChange.Done, await store.CreateGroupAsync(1, "h", "H", "owner", [], 10, 10, 2, ct));
        Assert.Equal("ok", await store.CheckIntegrityAsync());
    }

    [Fact]
    public async Task Two_nodes_writing_one_database_dedupe_retried_sends_allocate_gapless_seqs_and_never_share_an_id()
    {
        var ct = TestContext.Current.CancellationToken;
        string path = DatabasePath + "-two";
        var clock = TimeProvider.System;
        await using var node1 = new SqliteChatStore(path, new MessageIdGenerator(1, clock));
        await using var node2 = new SqliteChatStore(path, new MessageIdGenerator(2, clock));
        NewMessage Send(int localId, string text) => new()
        {
            AppId = 1, ConversationType = ConversationType.Peer, ConversationKey = ConversationKeys.Peer("a", "b"), SenderUserId = "a", LocalMessageId = localId,
            Type = ChatMessageType.Text, Text = text, EnsureConversationFor = ["a", "b"],
        };
        // Each send reaches both nodes at once (a client retrying on the other node), plus one new message on each node.
        var writes = Enumerable.Range(1, 100).SelectMany(i => new[]
        {
            node1.AppendAsync(Send(i, $"m{i}"), ct), node2.AppendAsync(Send(i, $"m{i}"), ct),
            node1.AppendAsync(Send(1000 + i, $"n1-{i}"), ct), node2.AppendAsync(Send(2000 + i, $"n2-{i}"), ct),
        }).ToList();
        var results = await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(60), ct);

        var stored = results.Where(r => !r.Duplicate).Select(r => r.Message).ToList();
        Assert.Equal(300, stored.Count); // 100 shared sends stored once each, 200 single ones
        Assert.Equal(100, results.Count(r => r.Duplicate));
        foreach (var group in results.GroupBy(r => r.Message.LocalMessageId))
            Assert.Single(group.Select(r => r.Message.MessageId).Distinct()); // both nodes answer a retried send with the same message
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), stored.Select(m => m.Seq).Order()); // the store allocates seqs
        Assert.Equal(300, stored.Select(m => m.MessageId).Distinct().Count());
        Assert.All(stored, m => Assert.Contains(MessageIdGenerator.NodeIdOf(m.MessageId), new[] { 1, 2 }));
        Assert.Contains(stored, m => MessageIdGenerator.NodeIdOf(m.MessageId) == 1);
        Assert.Contains(stored, m => MessageIdGenerator.NodeIdOf(m.MessageId) == 2);
        var history = await node2.QueryHistoryAsync(1, "a", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 1000, forward: true, ct);
        Assert.Equal(stored.OrderBy(m => m.Seq).Select(m => (m.Seq, m.MessageId)), history.Select(m => (m.Seq, m.MessageId)));
    }

    [Fact]
    public async Task A_read_that_cannot_open_the_database_fails_with_ChatStoreException_Unavailable()
    {
        // Deleting files that are open is possible on Linux and macOS only.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "open files cannot be deleted on Windows");
        var ct = TestContext.Current.CancellationToken;
        string dir = Path.Combine(Path.GetTempPath(), $"chorus-store-gone-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await using var store = new SqliteChatStore(Path.Combine(dir, "chat.db"));
        Directory.Delete(dir, recursive: true); // no reader connection exists yet: the next read opens the (missing) file
        var failure = await Assert.ThrowsAsync<ChatStoreException>(() => store.QueryConversationsAsync(1, "a", 10, ct));
        Assert.Equal(ChatStoreFailure.Unavailable, failure.Kind);
        Assert.True(failure.IsTransient);
        Assert.IsType<Microsoft.Data.Sqlite.SqliteException>(failure.InnerException);
    }

    [Theory]
    [InlineData(5, 0, ChatStoreFailure.Unavailable)]     // SQLITE_BUSY
    [InlineData(10, 266, ChatStoreFailure.Unavailable)]  // SQLITE_IOERR_READ
    [InlineData(13, 0, ChatStoreFailure.Full)]           // SQLITE_FULL
    [InlineData(19, 2067, ChatStoreFailure.Conflict)]    // SQLITE_CONSTRAINT_UNIQUE
    [InlineData(11, 0, ChatStoreFailure.Corrupt)]        // SQLITE_CORRUPT
    [InlineData(26, 0, ChatStoreFailure.Corrupt)]        // SQLITE_NOTADB
    public void SQLite_errors_map_to_the_store_failure_kinds(int code, int extended, ChatStoreFailure kind)
    {
        var ex = new Microsoft.Data.Sqlite.SqliteException("x", code, extended);
        var wrapped = SqliteFailures.Wrap(ex, "a test");
        Assert.Equal(kind, wrapped.Kind);
        Assert.Same(ex, wrapped.InnerException);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var db in new[] { DatabasePath + "-old", DatabasePath + "-v2", DatabasePath + "-two" })
            foreach (var f in new[] { db, db + "-wal", db + "-shm" })
                if (File.Exists(f)) File.Delete(f);
    }
}
