using Chorus.Protocol;

namespace Chorus.Storage.Tests;

/// <summary>What every <see cref="IConversationStore"/> must do (unread counts, conversation states, what an app sees). Each database's test class derives from this with its store factory.</summary>
public abstract class ConversationStoreConformanceTests<TStores> : ConformanceTestBase<TStores> where TStores : IChatStoreFactory, new()
{
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
    public async Task Apps_do_not_see_each_other()
    {
        await Store.AppendAsync(Peer("a", "b", "app 7 only"), Ct);
        Assert.Empty(await Store.QueryHistoryAsync(App + 1, "b", ConversationType.Peer, ConversationKeys.Peer("a", "b"), null, 10, false, Ct));
        Assert.Empty(await Store.QueryConversationsAsync(App + 1, "b", 10, Ct));
        Assert.Single(await Store.QueryConversationsAsync(App, "b", 10, Ct));
    }
}
