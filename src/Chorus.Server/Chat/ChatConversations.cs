using Chorus.Protocol;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>
/// A user's conversations and their messages: history (stored, or a chat room's recent history), deleting messages,
/// revoking one's own message, read receipts, the conversation list with unread counts, and its settings (clear unread,
/// delete, mute, pin). Former group members keep their own view up to their leave point.
/// </summary>
public sealed class ChatConversations
{
    private readonly IChatStore _store;
    private readonly IChatPresence _users;
    private readonly IChatRoomDirectory _rooms;
    private readonly ILogger<ChatConversations> _logger;

    /// <summary>Creates the service.</summary>
    public ChatConversations(IChatStore store, IChatPresence users, IChatRoomDirectory rooms, ILogger<ChatConversations> logger)
    {
        _store = store;
        _users = users;
        _rooms = rooms;
        _logger = logger;
    }

    /// <summary>A page of a conversation's messages (<c>queryHistory</c>).</summary>
    public async Task<Frame> QueryHistoryAsync(IClientConnection connection, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        int count = request.Count ?? 20;
        if ((ChatValidator.ConversationId(convId, type) ?? ChatValidator.PageCount(count)) is { } invalid) return ChatReply.Error(request, invalid);
        bool forward = request.Reverse == true;
        var result = ChatReply.Ok(request);
        if (type == ConversationType.Room)
        {
            var page = await _rooms.HistoryAsync(connection.AppId, user, convId, request.NextSeq, count, forward);
            if (page.Error is { } error)
            {
                if (error.Code == ChatErrorCodes.NotInRoom) ChatLog.AccessRefused(_logger, connection.AppId, user, request.Op ?? "", type, convId);
                return ChatReply.Error(request, error);
            }
            result.Messages = [.. page.Value!];
            return result;
        }
        // A former member reads what was sent up to its leave point (the store cuts it there), and gets an empty page after it.
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused) return refused;
        var messages = await _store.QueryHistoryAsync(connection.AppId, user, type, ChatWire.KeyFor(type, convId, user), request.NextSeq, count, forward, cancellationToken);
        result.Messages = [.. messages.Select(m => ChatWire.ToWire(m, user))];
        return result;
    }

    /// <summary>Deletes messages from the user's own view (<c>deleteMessages</c>, or all of them: <c>deleteAllMessages</c>).</summary>
    public async Task<Frame> DeleteMessagesAsync(IClientConnection connection, string user, Frame request, bool all, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if (ChatValidator.StoredConversation(convId, type) is { } invalid) return ChatReply.Error(request, invalid);
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused) return refused;
        string key = ChatWire.KeyFor(type, convId, user);
        if (all) await _store.DeleteAllMessagesAsync(connection.AppId, user, type, key, cancellationToken);
        else
        {
            if (ChatValidator.MessageIdsToDelete(request.MessageIds) is { } badIds) return ChatReply.Error(request, badIds);
            await _store.DeleteMessagesAsync(connection.AppId, user, type, key, request.MessageIds!, cancellationToken);
        }
        await NotifyConversationAsync(connection, connection.AppId, user, type, key, unreadToo: all, cancellationToken);
        return ChatReply.Ok(request);
    }

    /// <summary>Revokes the user's own message for everyone in its conversation (<c>revokeMessage</c>).</summary>
    public async Task<Frame> RevokeAsync(IClientConnection connection, string user, Frame request, CancellationToken cancellationToken)
    {
        if (ChatValidator.MessageIdToRevoke(request.MessageIds) is { } invalid) return ChatReply.Error(request, invalid);
        long messageId = request.MessageIds![0];
        var original = await _store.GetMessageAsync(connection.AppId, messageId, cancellationToken);
        if (original is null) return ChatReply.Error(request, ChatErrorCodes.TargetMissing, "no such message");
        if (original.SenderUserId != user)
        {
            ChatLog.AccessRefused(_logger, connection.AppId, user, request.Op ?? "", original.ConversationType, original.ConversationKey);
            return ChatReply.Error(request, ChatErrorCodes.NoPermission, "only the sender may revoke a message");
        }
        if (original.ConversationType == ConversationType.Group
            && await CheckGroupAccessAsync(connection.AppId, user, request, ConversationType.Group, original.ConversationKey, needMember: true, cancellationToken) is { } refused)
            return refused;
        var revoked = await _store.RevokeAsync(connection.AppId, messageId, cancellationToken);
        if (revoked is null) return ChatReply.Error(request, ChatErrorCodes.TargetMissing, "no such message");
        IReadOnlyList<string> audience = revoked.ConversationType == ConversationType.Group
            ? await _store.GetGroupMembersAsync(connection.AppId, revoked.ConversationKey, cancellationToken)
            : [ConversationKeys.PeerOf(revoked.ConversationKey, user), user];
        var online = await _users.OnlineAsync(connection.AppId, audience);
        _users.Send(connection.AppId, [.. online.Select(u => new UserFrame(u, EncodedFrame.From(new Frame { Op = Ops.MessageRevoked, Message = ChatWire.ToWire(revoked, u) })))]);
        var result = ChatReply.Ok(request);
        result.Message = ChatWire.ToWire(revoked, user);
        return result;
    }

    /// <summary>Marks others' messages read and tells their senders (<c>sendReceiptsRead</c>).</summary>
    public async Task<Frame> SendReceiptsReadAsync(IClientConnection connection, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if ((ChatValidator.StoredConversation(convId, type) ?? ChatValidator.ReceiptMessageIds(request.MessageIds)) is { } invalid) return ChatReply.Error(request, invalid);
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: true, cancellationToken) is { } refused) return refused;
        string key = ChatWire.KeyFor(type, convId, user);
        var mine = new List<long>();
        foreach (long id in request.MessageIds!)
        {
            var m = await _store.GetMessageAsync(connection.AppId, id, cancellationToken);
            // Only receipts of others' messages in this conversation can be sent.
            if (m is not null && m.ConversationType == type && m.ConversationKey == key && m.SenderUserId != user) mine.Add(id);
        }
        var changed = await _store.MarkReceiptsReadAsync(connection.AppId, mine, cancellationToken);
        if (changed.Count > 0)
        {
            _users.Send(connection.AppId, [.. changed.GroupBy(m => m.SenderUserId).Select(group => new UserFrame(group.Key, EncodedFrame.From(new Frame
            {
                Op = Ops.ReceiptChanged, ConvType = type, ConvId = ChatWire.ConversationIdFor(type, key, group.Key),
                MessageIds = [.. group.Select(m => m.MessageId)], FromUserId = user,
            })))]);
        }
        var result = ChatReply.Ok(request);
        result.MessageIds = [.. changed.Select(m => m.MessageId)];
        return result;
    }

    /// <summary>The user's conversations, newest first, and the unread total (<c>queryConversations</c>).</summary>
    public async Task<Frame> QueryConversationsAsync(IClientConnection connection, string user, Frame request, CancellationToken cancellationToken)
    {
        int count = request.Count ?? 100;
        if (ChatValidator.PageCount(count) is { } invalid) return ChatReply.Error(request, invalid);
        var list = await _store.QueryConversationsAsync(connection.AppId, user, count, cancellationToken);
        var result = ChatReply.Ok(request);
        result.Conversations = [.. list.Select(c => ChatWire.ToWire(c, user))];
        result.UnreadTotal = await _store.GetUnreadTotalAsync(connection.AppId, user, cancellationToken);
        return result;
    }

    /// <summary>Changes the user's view of a conversation (<c>clearUnread</c>, <c>deleteConversation</c>, <c>setNotificationStatus</c>, <c>pinConversation</c>).</summary>
    public async Task<Frame> UpdateConversationAsync(IClientConnection connection, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if (ChatValidator.StoredConversation(convId, type) is { } invalid) return ChatReply.Error(request, invalid);
        // Checked before the write: a refused call creates no conversation entry.
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused) return refused;
        string key = ChatWire.KeyFor(type, convId, user);
        switch (request.Op)
        {
            case Ops.ClearUnread: await _store.MarkReadAsync(connection.AppId, user, type, key, null, cancellationToken); break;
            case Ops.DeleteConversation: await _store.HideConversationAsync(connection.AppId, user, type, key, cancellationToken); break;
            case Ops.SetNotificationStatus: await _store.SetMutedAsync(connection.AppId, user, type, key, request.Muted == true, cancellationToken); break;
            default: await _store.SetPinnedAsync(connection.AppId, user, type, key, request.Pinned == true, cancellationToken); break;
        }
        if (request.Op != Ops.DeleteConversation) await NotifyConversationAsync(connection, connection.AppId, user, type, key, unreadToo: false, cancellationToken);
        connection.Send(new Frame { Op = Ops.UnreadTotalChanged, UnreadTotal = await _store.GetUnreadTotalAsync(connection.AppId, user, cancellationToken) });
        return ChatReply.Ok(request);
    }

    /// <summary>Sends a user its conversation changed event and, if asked, the total unread count.</summary>
    private async Task NotifyConversationAsync(IClientConnection connection, uint appId, string user, ConversationType type, string key, bool unreadToo, CancellationToken cancellationToken)
    {
        var conversation = await _store.GetConversationAsync(appId, user, type, key, cancellationToken);
        if (conversation is null) return;
        connection.Send(new Frame { Op = Ops.ConversationChanged, Conversation = ChatWire.ToWire(conversation, user) });
        if (unreadToo && !conversation.Muted)
            connection.Send(new Frame { Op = Ops.UnreadTotalChanged, UnreadTotal = await _store.GetUnreadTotalAsync(appId, user, cancellationToken) });
    }

    /// <summary>
    /// For a group conversation, checks the user's access now: members may do anything; former members (left, kicked, or
    /// members when the group was dismissed) may read and manage their own view of what was sent up to their leave point
    /// (<paramref name="needMember"/> false); nobody else may do anything. Returns the refusal, or null when allowed (and
    /// for peer conversations, which are always the user's own).
    /// </summary>
    private async Task<Frame?> CheckGroupAccessAsync(uint app, string user, Frame request, ConversationType type, string groupId, bool needMember, CancellationToken cancellationToken)
    {
        if (type != ConversationType.Group) return null;
        var access = await _store.GetGroupAccessAsync(app, groupId, user, cancellationToken);
        if (needMember ? access.IsMember : access.MayRead) return null;
        ChatLog.AccessRefused(_logger, app, user, request.Op ?? "", type, groupId);
        return access.Group is null && !access.MayRead
            ? ChatReply.Error(request, ChatError.GroupMissing)
            : ChatReply.Error(request, ChatErrorCodes.NoPermission, access.MayRead ? "no longer a member of this group" : "not a member of this group");
    }
}
