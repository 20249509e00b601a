using Chorus.Protocol;
using Chorus.Storage.Postgres;
using Npgsql;

namespace Chorus.Storage.Tests;

/// <summary>What only a shared database has to do (a fresh database per test; the conformance suite runs in
/// <see cref="PostgresMessageStoreTests"/> and its siblings): two stores on one database (two nodes) sending at once,
/// migrations run by several nodes.</summary>
public sealed class PostgresChatStoreTests : ChatStoreTestBase<PostgresStores>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private string ConnectionString => Stores.ConnectionString;

    private static NewMessage Peer(string from, string to, string text, long localId = 0, uint app = 1) => new()
    {
        AppId = app, ConversationType = ConversationType.Peer, ConversationKey = ConversationKeys.Peer(from, to), SenderUserId = from,
        LocalMessageId = localId, Type = ChatMessageType.Text, Text = text, EnsureConversationFor = [from, to],
    };

    [Fact]
    public async Task Many_concurrent_writers_share_commits()
    {
        var store = (PostgresChatStore)Store;
        long before = store.Commits;
        var writes = Enumerable.Range(0, 300).Select(i => store.AppendAsync(Peer($"u{i}", "hub", "x"), Ct));
        var results = await Task.WhenAll(writes);
        long commits = store.Commits - before;
        Assert.InRange(commits, 1, 299); // group commit: fewer transactions (and fsyncs) than writes
        Assert.All(results, r => Assert.Equal(1, r.Message.Seq)); // 300 conversations, one message each
        Assert.Single(await store.QueryHistoryAsync(1, "hub", ConversationType.Peer, ConversationKeys.Peer("u299", "hub"), null, 10, false, Ct));
    }

    [Fact]
    public async Task Live_delivery_hook_runs_in_sequence_order_and_not_for_duplicates()
    {
        var order = new System.Collections.Concurrent.ConcurrentQueue<long>();
        var writes = Enumerable.Range(0, 100).Select(i => Store.AppendAsync(new NewMessage
        {
            AppId = 1, ConversationType = ConversationType.Group, ConversationKey = "g", SenderUserId = $"u{i % 5}", LocalMessageId = i % 50 + 1,
            Type = ChatMessageType.Text, Text = "x", OnCommitted = m => order.Enqueue(m.Seq),
        }, Ct));
        await Task.WhenAll(writes);
        Assert.Equal(Enumerable.Range(1, order.Count).Select(i => (long)i), order);
        Assert.Equal(50, order.Count); // the other 50 were retries of the same (sender, LocalMessageId)
    }

    [Fact]
    public async Task Two_nodes_on_one_database_allocate_gapless_unique_seqs_dedupe_retries_across_nodes_and_never_share_an_id()
    {
        var clock = TimeProvider.System;
        await using var node1 = await PostgresChatStore.OpenAsync(ConnectionString, new MessageIdGenerator(1, clock), cancellationToken: Ct);
        await using var node2 = await PostgresChatStore.OpenAsync(ConnectionString, new MessageIdGenerator(2, clock), cancellationToken: Ct);
        NewMessage Send(string to, long localId, string text) => Peer("a", to, text, localId);
        // Two conversations; each retried send reaches both nodes at once (a client retrying on the other node), plus one
        // new message on each node per round, all at once.
        var writes = new List<Task<AppendResult>>();
        for (int i = 1; i <= 100; i++)
        {
            foreach (var to in new[] { "b", "c" })
            {
                writes.Add(node1.AppendAsync(Send(to, i, $"m{i}"), Ct));
                writes.Add(node2.AppendAsync(Send(to, i, $"m{i}"), Ct));
                writes.Add(node1.AppendAsync(Send(to, 1000 + i, $"n1-{i}"), Ct));
                writes.Add(node2.AppendAsync(Send(to, 2000 + i, $"n2-{i}"), Ct));
            }
        }
        var results = await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        foreach (var to in new[] { "b", "c" })
        {
            string key = ConversationKeys.Peer("a", to);
            var mine = results.Where(r => r.Message.ConversationKey == key).ToList();
            var stored = mine.Where(r => !r.Duplicate).Select(r => r.Message).ToList();
            Assert.Equal(300, stored.Count); // 100 shared sends stored once each, 200 single ones
            Assert.Equal(100, mine.Count(r => r.Duplicate));
            foreach (var retried in mine.GroupBy(r => r.Message.LocalMessageId))
                Assert.Single(retried.Select(r => r.Message.MessageId).Distinct()); // both nodes answer a retried send with the same message
            Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), stored.Select(m => m.Seq).Order()); // gapless and unique
            var history = await node2.QueryHistoryAsync(1, "a", ConversationType.Peer, key, null, 100, forward: true, Ct);
            var all = new List<StoredMessage>(history);
            while (history.Count == 100)
            {
                history = await node1.QueryHistoryAsync(1, "a", ConversationType.Peer, key, all[^1].Seq, 100, forward: true, Ct);
                all.AddRange(history);
            }
            Assert.Equal(stored.OrderBy(m => m.Seq).Select(m => (m.Seq, m.MessageId)), all.Select(m => (m.Seq, m.MessageId)));
            Assert.Equal(300, (await node1.GetConversationAsync(1, to, ConversationType.Peer, key, Ct))!.Unread);
        }
        var ids = results.Where(r => !r.Duplicate).Select(r => r.Message.MessageId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains(ids, id => MessageIdGenerator.NodeIdOf(id) == 1);
        Assert.Contains(ids, id => MessageIdGenerator.NodeIdOf(id) == 2);
    }

    [Fact]
    public async Task Two_nodes_mixing_sends_reads_and_membership_changes_on_shared_conversations_all_succeed()
    {
        await using var node2 = await PostgresChatStore.OpenAsync(ConnectionString, new MessageIdGenerator(2), cancellationToken: Ct);
        var nodes = new[] { Store, node2 };
        foreach (var g in new[] { "g1", "g2" })
            Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(1, g, "G", "owner", ["m0", "m1", "m2", "m3"], 100, 100, 1000, Ct));
        // Every kind of write touches the same rows from both nodes in different orders (conversations, entries, members):
        // any deadlock between the nodes' transactions must be retried, never surface.
        var work = new List<Task>();
        for (int i = 0; i < 120; i++)
        {
            var node = nodes[i % 2];
            string g = i % 3 == 0 ? "g1" : "g2", other = g == "g1" ? "g2" : "g1";
            work.Add(node.AppendAsync(new NewMessage { AppId = 1, ConversationType = ConversationType.Group, ConversationKey = g, SenderUserId = $"m{i % 4}", LocalMessageId = i + 1, Type = ChatMessageType.Text, Text = $"{i}" }, Ct));
            work.Add(node.AppendAsync(Peer($"m{i % 4}", $"m{(i + 1) % 4}", $"p{i}", localId: i + 1), Ct));
            work.Add(node.MarkReadAsync(1, $"m{(i + 2) % 4}", ConversationType.Group, other, null, Ct));
            if (i % 10 == 0) work.Add(node.AddGroupMembersAsync(1, other, [$"x{i}"], 100, Ct));
            if (i % 10 == 5) work.Add(node.RemoveGroupMembersAsync(1, g, [$"x{i - 5}"], Ct));
            if (i % 7 == 0) work.Add(node.SetPinnedAsync(1, $"m{i % 4}", ConversationType.Group, g, true, Ct));
        }
        await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"transactions run again after a deadlock: {((PostgresChatStore)Store).Retries + node2.Retries}");
        foreach (var g in new[] { "g1", "g2" })
        {
            var history = await node2.QueryHistoryAsync(1, "owner", ConversationType.Group, g, null, 100, forward: true, Ct);
            Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(m => m.Seq));
        }
        Assert.Equal(120, (await Store.QueryHistoryAsync(1, "owner", ConversationType.Group, "g1", null, 100, true, Ct)).Count
            + (await Store.QueryHistoryAsync(1, "owner", ConversationType.Group, "g2", null, 100, true, Ct)).Count);
    }

    [Fact]
    public async Task Two_nodes_changing_one_group_at_once_keep_the_member_limit_and_the_owner_limit()
    {
        await using var node2 = await PostgresChatStore.OpenAsync(ConnectionString, new MessageIdGenerator(2), cancellationToken: Ct);
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(1, "g", "G", "owner", [], 10, 100, 1000, Ct));
        var adds = Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? Store : node2).AddGroupMembersAsync(1, "g", [$"m{i}"], 10, Ct));
        var outcomes = await Task.WhenAll(adds);
        Assert.Equal(9, outcomes.Count(o => o == GroupChange.Done));
        Assert.Equal(10, (await node2.GetGroupMembersAsync(1, "g", Ct)).Count);

        var creates = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? Store : node2).CreateGroupAsync(1, $"o{i}", "G", "busy", [], 10, 3, 1000, Ct));
        var created = await Task.WhenAll(creates);
        Assert.Equal(3, created.Count(o => o == GroupChange.Done));
        Assert.Equal(7, created.Count(o => o == GroupChange.OwnerLimit));
    }

    [Fact]
    public async Task Migrations_run_once_when_nodes_open_at_once_and_again_on_a_migrated_database()
    {
        string fresh = await TestDatabase.CreateAsync();
        var opening = Enumerable.Range(0, 4).Select(i => PostgresChatStore.OpenAsync(fresh, new MessageIdGenerator(i), cancellationToken: Ct)).ToList();
        var nonces = PostgresSignatureNonceStore.OpenAsync(fresh, cancellationToken: Ct);
        var stores = await Task.WhenAll(opening);
        await using (await nonces)
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
        await using var data = NpgsqlDataSource.Create(fresh);
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion), await PostgresSchema.AppliedVersionsAsync(data, Ct));
        await PostgresSchema.MigrateAsync(data, Ct); // again: nothing to do
        await PostgresSchema.MigrateAsync(data, Ct);
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion), await PostgresSchema.AppliedVersionsAsync(data, Ct));
        await using var store = await PostgresChatStore.OpenAsync(fresh, cancellationToken: Ct);
        Assert.Equal(1, (await store.AppendAsync(Peer("a", "b", "works"), Ct)).Message.Seq);
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused()
    {
        string fresh = await TestDatabase.CreateAsync();
        await using (await PostgresChatStore.OpenAsync(fresh, cancellationToken: Ct)) { }
        await using (var c = new NpgsqlConnection(fresh))
        {
            await c.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand($"INSERT INTO chorus_schema_migrations(version, description) VALUES ({PostgresSchema.LatestVersion + 1}, 'from the future')", c);
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        var refused = await Assert.ThrowsAsync<ChatStoreException>(() => PostgresChatStore.OpenAsync(fresh, cancellationToken: Ct));
        Assert.Equal(ChatStoreFailure.Corrupt, refused.Kind);
        Assert.Contains("newer than this Chorus", refused.Message);
    }

    [Fact]
    public async Task Any_text_comes_back_as_sent_NUL_characters_and_all()
    {
        string odd = "a\0b\u0001 \u00e9\U0001F600 \u200b";
        var sent = await Store.AppendAsync(Peer("a", "b", odd) with { SearchedContent = "s\0", ExtendedData = "{\"x\":\"\0\"}", MentionedUserIds = ["b", "c"] }, Ct);
        var back = Assert.Single(await Store.QueryHistoryAsync(1, "b", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, false, Ct));
        Assert.Equal((odd, "s\0", "{\"x\":\"\0\"}"), (back.Text, back.SearchedContent, back.ExtendedData));
        Assert.Equal(["b", "c"], back.MentionedUserIds!);
        Assert.Equal(sent.Message, back with { MentionedUserIds = sent.Message.MentionedUserIds });
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(1, "g", "name\0with NUL", "a", [], 10, 10, 10, Ct));
        Assert.Equal("name\0with NUL", (await Store.GetGroupAsync(1, "g", Ct))!.Name);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_fails_with_ChatStoreException_Unavailable_naming_no_password()
    {
        // a port nothing listens on
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var failure = await Assert.ThrowsAsync<ChatStoreException>(() =>
            PostgresChatStore.OpenAsync($"Host=127.0.0.1;Port={port};Username=u;Password=sekrit-pw;Timeout=3", cancellationToken: Ct));
        Assert.Equal(ChatStoreFailure.Unavailable, failure.Kind);
        Assert.DoesNotContain("sekrit-pw", failure.Message);

        var malformed = await Assert.ThrowsAsync<ChatStoreException>(() => PostgresChatStore.OpenAsync("Host=127.0.0.1;Pasword=sekrit-pw", cancellationToken: Ct));
        Assert.Equal(ChatStoreFailure.Unavailable, malformed.Kind);
        Assert.Contains("connection string is not valid", malformed.Message);
        Assert.DoesNotContain("sekrit-pw", malformed.Message);
    }

    [Fact]
    public async Task A_read_or_write_while_the_database_refuses_fails_with_ChatStoreException_and_later_calls_work_again()
    {
        await Store.AppendAsync(Peer("a", "b", "before"), Ct);
        string db = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
        string adminConnection = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using (var admin = new NpgsqlConnection(adminConnection))
        {
            await admin.OpenAsync(Ct);
            // the store's connections are cut and new ones refused
            await using var cut = new NpgsqlCommand($"ALTER DATABASE {db} ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'", admin);
            await cut.ExecuteNonQueryAsync(Ct);
        }
        var write = await Assert.ThrowsAsync<ChatStoreException>(() => Store.AppendAsync(Peer("a", "b", "refused"), Ct));
        Assert.True(write.IsTransient, write.Message);
        var read = await Assert.ThrowsAsync<ChatStoreException>(() => Store.QueryConversationsAsync(1, "a", 10, Ct));
        Assert.True(read.IsTransient, read.Message);

        await using (var admin = new NpgsqlConnection(adminConnection))
        {
            await admin.OpenAsync(Ct);
            await using var allow = new NpgsqlCommand($"ALTER DATABASE {db} ALLOW_CONNECTIONS true", admin);
            await allow.ExecuteNonQueryAsync(Ct);
        }
        Assert.Equal(2, (await Store.AppendAsync(Peer("a", "b", "after"), Ct)).Message.Seq); // the refused one stored nothing
        Assert.Equal(["before", "after"], (await Store.QueryHistoryAsync(1, "a", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, true, Ct)).Select(m => m.Text));
    }

    [Theory]
    [InlineData("53100", ChatStoreFailure.Full)]         // disk_full
    [InlineData("23505", ChatStoreFailure.Conflict)]     // unique_violation
    [InlineData("22021", ChatStoreFailure.Conflict)]     // character_not_in_repertoire
    [InlineData("XX001", ChatStoreFailure.Corrupt)]      // data_corrupted
    [InlineData("42P01", ChatStoreFailure.Corrupt)]      // undefined_table: not a Chorus database
    [InlineData("57P01", ChatStoreFailure.Unavailable)]  // admin_shutdown
    [InlineData("53300", ChatStoreFailure.Unavailable)]  // too_many_connections
    [InlineData("42501", ChatStoreFailure.Unavailable)]  // insufficient_privilege
    [InlineData("40P01", ChatStoreFailure.Unavailable)]  // deadlock_detected (after the retries)
    public void PostgreSQL_errors_map_to_the_store_failure_kinds(string sqlState, ChatStoreFailure kind)
    {
        var ex = new PostgresException("x", "ERROR", "ERROR", sqlState);
        var wrapped = PostgresFailures.Wrap(ex, "a test");
        Assert.Equal(kind, wrapped.Kind);
        Assert.Same(ex, wrapped.InnerException);
        Assert.Equal(ChatStoreFailure.Unavailable, PostgresFailures.Wrap(new NpgsqlException("no connection", new IOException("reset")), "a test").Kind);
    }
}
