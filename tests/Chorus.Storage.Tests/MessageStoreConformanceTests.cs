using Chorus.Protocol;

namespace Chorus.Storage.Tests;

/// <summary>What every <see cref="IMessageStore"/> must do (appends, deduplication, history, deletes; and a closed store). Each database's test class derives from this with its store factory.</summary>
public abstract class MessageStoreConformanceTests<TStores> : ConformanceTestBase<TStores> where TStores : IChatStoreFactory, new()
{
    [Fact]
    public async Task Append_assigns_gapless_sequence_numbers_and_increasing_ids()
    {
        var results = new List<AppendResult>();
        for (int i = 0; i < 5; i++) results.Add(await Store.AppendAsync(Peer(i % 2 == 0 ? "a" : "b", i % 2 == 0 ? "b" : "a", $"m{i}"), Ct));
        Assert.Equal([1L, 2, 3, 4, 5], results.Select(r => r.Message.Seq));
        Assert.True(results.Zip(results.Skip(1)).All(p => p.First.Message.MessageId < p.Second.Message.MessageId));
        Assert.All(results, r => Assert.False(r.Duplicate));
    }

    [Fact]
    public async Task A_closed_store_fails_every_call_with_ChatStoreException_Closed_and_stores_nothing()
    {
        var closed = Store;
        await closed.AppendAsync(Peer("a", "b", "before"), Ct);
        Store = await ReopenAsync(closed);
        var write = await Assert.ThrowsAsync<ChatStoreException>(() => closed.AppendAsync(Peer("a", "b", "late"), Ct));
        Assert.Equal(ChatStoreFailure.Closed, write.Kind);
        Assert.False(write.IsTransient);
        var group = await Assert.ThrowsAsync<ChatStoreException>(() => closed.CreateGroupAsync(App, "g", "G", "a", ["b"], 10, 10, 1000, Ct));
        Assert.Equal(ChatStoreFailure.Closed, group.Kind);
        var read = await Assert.ThrowsAsync<ChatStoreException>(() => closed.QueryHistoryAsync(App, "a", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, false, Ct));
        Assert.Equal(ChatStoreFailure.Closed, read.Kind);
        var conversations = await Assert.ThrowsAsync<ChatStoreException>(() => closed.QueryConversationsAsync(App, "a", 10, Ct));
        Assert.Equal(ChatStoreFailure.Closed, conversations.Kind);
        // The reopened store has what was written before, and nothing of the refused calls.
        Assert.Equal(["before"], (await Store.QueryHistoryAsync(App, "a", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, false, Ct)).Select(m => m.Text));
        Assert.Null(await Store.GetGroupAsync(App, "g", Ct));
    }

    [Fact]
    public async Task Same_LocalMessageId_from_the_same_sender_is_stored_once()
    {
        var first = await Store.AppendAsync(Peer("a", "b", "hi", localId: 99), Ct);
        var again = await Store.AppendAsync(Peer("a", "b", "hi", localId: 99), Ct);
        var otherSender = await Store.AppendAsync(Peer("b", "a", "hi", localId: 99), Ct);
        Assert.True(again.Duplicate);
        Assert.Equal(first.Message.MessageId, again.Message.MessageId);
        Assert.False(otherSender.Duplicate);
        Assert.Equal(2, (await Store.QueryHistoryAsync(App, "a", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, false, Ct)).Count);
    }

    [Fact]
    public async Task Concurrent_appends_lose_nothing_and_leave_no_gap()
    {
        var tasks = Enumerable.Range(0, 200).Select(i => Store.AppendAsync(Peer($"u{i % 4}", "target", $"m{i}", localId: i + 1), Ct)).ToArray();
        var results = await Task.WhenAll(tasks);
        var seqs = results.GroupBy(r => r.Message.ConversationKey).SelectMany(g => g.Select(r => r.Message.Seq).Order().Select((s, i) => (s, i)));
        Assert.All(seqs, p => Assert.Equal(p.i + 1, p.s));
        Assert.Equal(200, results.Select(r => r.Message.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task History_pages_and_per_user_deletes()
    {
        string key = ConversationKeys.Peer("a", "b");
        var ids = new List<long>();
        for (int i = 1; i <= 6; i++) ids.Add((await Store.AppendAsync(Peer("a", "b", $"m{i}"), Ct)).Message.MessageId);
        var newest = await Store.QueryHistoryAsync(App, "b", ConversationType.Peer, key, null, 4, forward: false, Ct);
        Assert.Equal([6L, 5, 4, 3], newest.Select(m => m.Seq));
        var older = await Store.QueryHistoryAsync(App, "b", ConversationType.Peer, key, 3, 4, forward: false, Ct);
        Assert.Equal([2L, 1], older.Select(m => m.Seq));
        var forward = await Store.QueryHistoryAsync(App, "b", ConversationType.Peer, key, 4, 10, forward: true, Ct);
        Assert.Equal([5L, 6], forward.Select(m => m.Seq));

        await Store.DeleteMessagesAsync(App, "b", ConversationType.Peer, key, [ids[1]], Ct);
        Assert.DoesNotContain(2L, (await Store.QueryHistoryAsync(App, "b", ConversationType.Peer, key, null, 10, false, Ct)).Select(m => m.Seq));
        Assert.Contains(2L, (await Store.QueryHistoryAsync(App, "a", ConversationType.Peer, key, null, 10, false, Ct)).Select(m => m.Seq));
        await Store.DeleteAllMessagesAsync(App, "b", ConversationType.Peer, key, Ct);
        Assert.Empty(await Store.QueryHistoryAsync(App, "b", ConversationType.Peer, key, null, 10, false, Ct));
        await Store.AppendAsync(Peer("a", "b", "after"), Ct);
        Assert.Equal(["after"], (await Store.QueryHistoryAsync(App, "b", ConversationType.Peer, key, null, 10, false, Ct)).Select(m => m.Text));
    }

    [Fact]
    public async Task Deduplication_is_per_conversation_and_survives_a_restart()
    {
        var toB = await Store.AppendAsync(Peer("a", "b", "same id", localId: 5), Ct);
        var toC = await Store.AppendAsync(Peer("a", "c", "same id", localId: 5), Ct);
        var toGroup = await Store.AppendAsync(GroupText("g", "a", "same id", localId: 5), Ct);
        Assert.False(toC.Duplicate);
        Assert.False(toGroup.Duplicate);
        Assert.Equal(3, new[] { toB, toC, toGroup }.Select(r => r.Message.MessageId).Distinct().Count());

        Store = await ReopenAsync(Store);
        var retry = await Store.AppendAsync(Peer("a", "c", "same id", localId: 5), Ct);
        Assert.True(retry.Duplicate);
        Assert.Equal((toC.Message.MessageId, toC.Message.Seq), (retry.Message.MessageId, retry.Message.Seq));
        Assert.Single(await Store.QueryHistoryAsync(App, "c", ConversationType.Peer, ConversationKeys.Peer("a", "c"), null, 10, false, Ct));
    }
}
