using Chorus.Protocol;

namespace Chorus.Storage.Tests;

/// <summary>What every <see cref="IGroupStore"/> must do (membership, limits, former members and their leave points). Each database's test class derives from this with its store factory.</summary>
public abstract class GroupStoreConformanceTests<TStores> : ConformanceTestBase<TStores> where TStores : IChatStoreFactory, new()
{
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
}
