using Chorus.Protocol;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>
/// What a user's conversation ops and message ops share: the group access check and the conversation-changed notice
/// sent to the user itself.
/// </summary>
internal static class ChatConversationAccess
{
    /// <summary>
    /// For a group conversation, checks the user's access now: members may do anything; former members (left, kicked, or
    /// members when the group was dismissed) may read and manage their own view of what was sent up to their leave point
    /// (<paramref name="needMember"/> false); nobody else may do anything. Returns the refusal, or null when allowed (and
    /// for peer conversations, which are always the user's own).
    /// </summary>
    public static async Task<ChatError?> CheckGroupAccessAsync(IChatStore store, ILogger logger, uint app, string user, string op, ConversationType type, string groupId,
        bool needMember, CancellationToken cancellationToken)
    {
        if (type != ConversationType.Group) return null;
        var access = await store.GetGroupAccessAsync(app, groupId, user, cancellationToken);
        if (needMember ? access.IsMember : access.MayRead) return null;
        ChatLog.AccessRefused(logger, app, user, op, type, groupId);
        return access.Group is null && !access.MayRead
            ? ChatError.GroupMissing
            : new ChatError(ChatErrorCodes.NoPermission, access.MayRead ? "no longer a member of this group" : "not a member of this group");
    }

    /// <summary>Sends a user its conversation changed event and, if asked, the total unread count.</summary>
    public static async Task NotifyConversationAsync(IChatStore store, IClientConnection connection, string user, ConversationType type, string key, bool unreadToo,
        CancellationToken cancellationToken)
    {
        uint appId = connection.AppId;
        var conversation = await store.GetConversationAsync(appId, user, type, key, cancellationToken);
        if (conversation is null) return;
        connection.Send(ChatEvents.Encode(new ConversationChangedEvent { Conversation = ChatWire.ToWire(conversation, user) }), Delivery.Reliable);
        if (unreadToo && !conversation.Muted)
            connection.Send(ChatEvents.Encode(new UnreadTotalEvent { UnreadTotal = await store.GetUnreadTotalAsync(appId, user, cancellationToken) }), Delivery.Reliable);
    }
}
