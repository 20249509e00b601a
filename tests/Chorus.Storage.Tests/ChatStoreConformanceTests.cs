using Chorus.Protocol;

namespace Chorus.Storage.Tests;

/// <summary>What every <see cref="IChatStore"/> must do. An implementation's test class derives from this and makes the store.</summary>
public abstract class ChatStoreConformanceTests : IAsyncLifetime
{
    private const uint App = 7;
    protected IChatStore Store { get; private set; } = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IChatStore> CreateStoreAsync();

    /// <summary>Closes and reopens the same store (a restart).</summary>
    protected abstract Task<IChatStore> ReopenAsync(IChatStore store);

    public async ValueTask InitializeAsync() => Store = await CreateStoreAsync();

    public virtual async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static NewMessage Peer(string from, string to, string text, long localId = 0) => new()
    {
        AppId = App, ConversationType = ConversationType.Peer, ConversationKey = ConversationKeys.Peer(from, to), SenderUserId = from,
        LocalMessageId = localId, Type = ChatMessageType.Text, Text = text, EnsureConversationFor = [from, to],
    };

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
    public async Task Unread_counts_exclude_own_messages_and_follow_reads_mutes_and_restarts()
    {
        await Store.AppendAsync(Peer("a", "b", "1"), Ct);
        await Store.AppendAsync(Peer("a", "b", "2"), Ct);
        string key = ConversationKeys.Peer("a", "b");
        Assert.Equal(2, (await Store.GetConversationAsync(App, "b", ConversationType.Peer, key, Ct))!.Unread);
        Assert.Equal(0, (await Store.GetConversationAsync(App, "a", ConversationType.Peer, key, Ct))!.Unread);
        await Store.AppendAsync(Peer("b", "a", "reply"), Ct); // replying reads what came before
        Assert.Equal(0, (await Store.GetConversationAsync(App, "b", ConversationType.Peer, key, Ct))!.Unread);
        Assert.Equal(1, await Store.GetUnreadTotalAsync(App, "a", Ct));

        Store = await ReopenAsync(Store);
        Assert.Equal(1, await Store.GetUnreadTotalAsync(App, "a", Ct));
        await Store.SetMutedAsync(App, "a", ConversationType.Peer, key, true, Ct);
        Assert.Equal(0, await Store.GetUnreadTotalAsync(App, "a", Ct));
        await Store.SetMutedAsync(App, "a", ConversationType.Peer, key, false, Ct);
        await Store.MarkReadAsync(App, "a", ConversationType.Peer, key, null, Ct);
        Assert.Equal(0, await Store.GetUnreadTotalAsync(App, "a", Ct));
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
    public async Task Conversation_states_for_many_users_match_the_single_user_reads()
    {
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "gs", "G", "owner", ["m1", "m2"], 10, 100, 1000, Ct));
        for (int i = 0; i < 3; i++)
            await Store.AppendAsync(new NewMessage { AppId = App, ConversationType = ConversationType.Group, ConversationKey = "gs", SenderUserId = "owner", Type = ChatMessageType.Text, Text = $"g{i}" }, Ct);
        await Store.AppendAsync(Peer("x", "m1", "peer"), Ct); // another conversation adds to m1's unread total
        await Store.MarkReadAsync(App, "m2", ConversationType.Group, "gs", 2, Ct);
        await Store.SetMutedAsync(App, "m2", ConversationType.Group, "gs", true, Ct);

        var states = (await Store.GetConversationStatesAsync(App, ["owner", "m1", "m2", "stranger"], ConversationType.Group, "gs", Ct)).ToDictionary(s => s.UserId);
        Assert.Equal(["m1", "m2", "owner"], states.Keys.Order());
        foreach (var (user, state) in states)
        {
            var single = (await Store.GetConversationAsync(App, user, ConversationType.Group, "gs", Ct))!;
            Assert.Equal(single with { LastMessage = null }, state.Conversation);
            Assert.Equal(await Store.GetUnreadTotalAsync(App, user, Ct), state.UnreadTotal);
        }
        Assert.Equal(3, states["m1"].Conversation.Unread);
        Assert.Equal(4, states["m1"].UnreadTotal);
        Assert.True(states["m2"].Conversation.Muted);
        Assert.Equal(1, states["m2"].Conversation.Unread);
        Assert.Equal(0, states["m2"].UnreadTotal); // muted conversations do not count
        Assert.Empty(await Store.GetConversationStatesAsync(App, [], ConversationType.Group, "gs", Ct));
    }

    [Fact]
    public async Task Groups_membership_limits_and_new_members_start_read()
    {
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "g", "G", "owner", ["m1"], 3, 100, 1000, Ct));
        Assert.Equal(GroupChange.Exists, await Store.CreateGroupAsync(App, "g", "G", "x", [], 3, 100, 1000, Ct));
        await Store.AppendAsync(new NewMessage { AppId = App, ConversationType = ConversationType.Group, ConversationKey = "g", SenderUserId = "owner", Type = ChatMessageType.Text, Text = "before" }, Ct);
        Assert.Equal(GroupChange.Done, await Store.AddGroupMembersAsync(App, "g", ["late"], 3, Ct));
        Assert.Equal(GroupChange.Full, await Store.AddGroupMembersAsync(App, "g", ["one-too-many"], 3, Ct));
        Assert.Equal(0, (await Store.GetConversationAsync(App, "late", ConversationType.Group, "g", Ct))!.Unread);
        Assert.Equal(1, (await Store.GetConversationAsync(App, "m1", ConversationType.Group, "g", Ct))!.Unread);
        Assert.Equal(["owner", "m1", "late"], await Store.GetGroupMembersAsync(App, "g", Ct));
        Assert.Equal(GroupChange.Done, await Store.RemoveGroupMembersAsync(App, "g", ["m1"], Ct));
        Assert.False((await Store.GetGroupAccessAsync(App, "g", "m1", Ct)).IsMember);
        Assert.Equal(GroupChange.Done, await Store.DismissGroupAsync(App, "g", Ct));
        Assert.Null(await Store.GetGroupAsync(App, "g", Ct));
        Assert.Equal(GroupChange.Missing, await Store.AddGroupMembersAsync(App, "g", ["x"], 3, Ct));
    }

    private static NewMessage GroupText(string group, string from, string text, long localId = 0) => new()
    {
        AppId = App, ConversationType = ConversationType.Group, ConversationKey = group, SenderUserId = from, LocalMessageId = localId,
        Type = ChatMessageType.Text, Text = text,
    };

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

    [Fact]
    public async Task Former_members_see_a_group_up_to_their_leave_point_and_others_see_nothing()
    {
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "g", "G", "owner", ["kicked", "stays"], 10, 100, 1000, Ct));
        await Store.AppendAsync(GroupText("g", "owner", "1"), Ct);
        await Store.AppendAsync(GroupText("g", "kicked", "2"), Ct);
        Assert.Equal(GroupChange.Done, await Store.RemoveGroupMembersAsync(App, "g", ["kicked"], Ct));
        await Store.AppendAsync(GroupText("g", "owner", "3 after the kick"), Ct);
        // an entry made for a user who was never a member (as the old server did on pin or mute) shows nothing
        await Store.SetPinnedAsync(App, "stranger", ConversationType.Group, "g", true, Ct);

        var access = await Store.GetGroupAccessAsync(App, "g", "kicked", Ct);
        Assert.Equal((false, (long?)2, true), (access.IsMember, access.LeftAtSeq, access.MayRead));
        Assert.Equal((true, (long?)null, 2), await AccessOf("stays"));
        Assert.Equal((false, (long?)null, 2), await AccessOf("stranger"));

        Assert.Equal(["2", "1"], (await Store.QueryHistoryAsync(App, "kicked", ConversationType.Group, "g", null, 10, false, Ct)).Select(m => m.Text));
        Assert.Empty(await Store.QueryHistoryAsync(App, "kicked", ConversationType.Group, "g", 2, 10, forward: true, Ct)); // a catch-up pull: a clean, empty page
        Assert.Equal(3, (await Store.QueryHistoryAsync(App, "stays", ConversationType.Group, "g", null, 10, false, Ct)).Count);
        Assert.Empty(await Store.QueryHistoryAsync(App, "stranger", ConversationType.Group, "g", null, 10, false, Ct));

        var kickedView = (await Store.GetConversationAsync(App, "kicked", ConversationType.Group, "g", Ct))!;
        Assert.Equal((2L, "2", 0L), (kickedView.MaxSeq, kickedView.LastMessage!.Text, kickedView.Unread));
        Assert.Equal(kickedView with { LastMessage = null }, Assert.Single(await Store.GetConversationStatesAsync(App, ["kicked"], ConversationType.Group, "g", Ct)).Conversation);
        Assert.Equal(0, await Store.GetUnreadTotalAsync(App, "kicked", Ct));
        Assert.Equal(3, (await Store.GetConversationAsync(App, "stays", ConversationType.Group, "g", Ct))!.Unread);
        Assert.Null(await Store.GetConversationAsync(App, "stranger", ConversationType.Group, "g", Ct));
        Assert.Empty(await Store.QueryConversationsAsync(App, "stranger", 10, Ct));
        Assert.Equal(0, await Store.GetUnreadTotalAsync(App, "stranger", Ct));

        Store = await ReopenAsync(Store); // the leave point is stored
        Assert.Equal((false, (long?)2, 2), await AccessOf("kicked"));

        // coming back makes a member again; dismissing makes every member a former member, and the ID is not reused
        Assert.Equal(GroupChange.Done, await Store.AddGroupMembersAsync(App, "g", ["kicked"], 10, Ct));
        Assert.Equal(3, (await Store.QueryHistoryAsync(App, "kicked", ConversationType.Group, "g", null, 10, false, Ct)).Count);
        Assert.Equal(GroupChange.Done, await Store.DismissGroupAsync(App, "g", Ct));
        await Store.AppendAsync(GroupText("g", "server", "4 after the dismissal"), Ct);
        var dismissed = await Store.GetGroupAccessAsync(App, "g", "stays", Ct);
        Assert.Equal((null, false, (long?)3), (dismissed.Group, dismissed.IsMember, dismissed.LeftAtSeq));
        Assert.Equal(3, (await Store.QueryHistoryAsync(App, "stays", ConversationType.Group, "g", null, 10, false, Ct)).Count);
        Assert.Equal(GroupChange.Dismissed, await Store.CreateGroupAsync(App, "g", "again", "stranger", [], 10, 100, 1000, Ct));
        Assert.Empty(await Store.QueryHistoryAsync(App, "stranger", ConversationType.Group, "g", null, 10, false, Ct));

        async Task<(bool, long?, int)> AccessOf(string user)
        {
            var a = await Store.GetGroupAccessAsync(App, "g", user, Ct);
            return (a.IsMember, a.LeftAtSeq, a.Group?.MemberCount ?? -1);
        }
    }

    [Fact]
    public async Task Groups_per_owner_are_capped_at_the_boundary()
    {
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "o1", "G", "owner", [], 10, 2, 1000, Ct));
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "o2", "G", "owner", ["other"], 10, 2, 1000, Ct));
        Assert.Equal(GroupChange.OwnerLimit, await Store.CreateGroupAsync(App, "o3", "G", "owner", [], 10, 2, 1000, Ct));
        Assert.Null(await Store.GetGroupAsync(App, "o3", Ct));
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "o3", "G", "other", [], 10, 2, 1000, Ct)); // a member's groups are not its own
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App + 1, "o3", "G", "owner", [], 10, 2, 1000, Ct)); // per app
        Assert.Equal(GroupChange.Done, await Store.DismissGroupAsync(App, "o1", Ct));
        Assert.Equal(GroupChange.Done, await Store.CreateGroupAsync(App, "o4", "G", "owner", [], 10, 2, 1000, Ct)); // groups owned now
    }

    [Fact]
    public async Task Apps_do_not_see_each_other()
    {
        await Store.AppendAsync(Peer("a", "b", "app 7 only"), Ct);
        Assert.Empty(await Store.QueryHistoryAsync(App + 1, "b", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, false, Ct));
        Assert.Empty(await Store.QueryConversationsAsync(App + 1, "b", 10, Ct));
        Assert.Single(await Store.QueryConversationsAsync(App, "b", 10, Ct));
    }
}
