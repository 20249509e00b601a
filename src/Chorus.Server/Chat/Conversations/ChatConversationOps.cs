using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>Conversations' part of the op table: the list with unread counts, clear unread, delete, mute, pin.</summary>
public sealed class ChatConversationOps(ChatSessions sessions, ChatConversations conversations, ILogger<ChatConversationOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat.conversations";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        const string own = "one's own view of a peer or group conversation (group: a member or a former one, 6000541 otherwise)";
        ops.AddLoggedIn(ProtocolOps.QueryConversations, Feature, sessions, "only the caller's own list", logger,
            (c, r, ct) => conversations.QueryConversationsAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.ClearUnread, Feature, sessions, own, logger, (c, r, ct) => conversations.ClearUnreadAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.DeleteConversation, Feature, sessions, own, logger, (c, r, ct) => conversations.DeleteConversationAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.SetNotificationStatus, Feature, sessions, own, logger, (c, r, ct) => conversations.SetNotificationStatusAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.PinConversation, Feature, sessions, own, logger, (c, r, ct) => conversations.PinConversationAsync(c.Connection, c.UserId, r, ct));
    }
}
