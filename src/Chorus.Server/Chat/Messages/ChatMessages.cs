using Chorus.Protocol;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>
/// A user's messages in its conversations: history (stored, or a chat room's recent history), deleting messages from
/// its own view, revoking its own message, read receipts. Former group members keep their own view up to their leave point.
/// </summary>
public sealed class ChatMessages
{
    private readonly IChatStore _store;
    private readonly IChatPresence _users;
    private readonly IChatRoomDirectory _rooms;
    private readonly ILogger<ChatMessages> _logger;

    /// <summary>Creates the service.</summary>
    public ChatMessages(IChatStore store, IChatPresence users, IChatRoomDirectory rooms, ILogger<ChatMessages> logger)
    {
        _store = store;
        _users = users;
        _rooms = rooms;
        _logger = logger;
    }

    /// <summary>A page of a conversation's messages (<c>queryHistory</c>).</summary>
    public async Task<QueryHistoryResult> QueryHistoryAsync(IClientConnection connection, string user, QueryHistoryRequest request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        int count = request.Count ?? 20;
        if ((ChatValidator.ConversationId(convId, type) ?? ChatValidator.PageCount(count)) is { } invalid) return ChatReply.Error<QueryHistoryResult>(request, invalid);
        bool forward = request.Reverse == true;
        var result = ChatReply.Ok<QueryHistoryResult>(request);
        if (type == ConversationType.Room)
        {
            var page = await _rooms.HistoryAsync(connection.AppId, user, convId, request.NextSeq, count, forward);
            if (page.Error is { } error)
            {
                if (error.Code == ChatErrorCodes.NotInRoom) ChatLog.AccessRefused(_logger, connection.AppId, user, request.Op, type, convId);
                return ChatReply.Error<QueryHistoryResult>(request, error);
            }
            result.Messages = [.. page.Value!];
            return result;
        }
        // A former member reads what was sent up to its leave point (the store cuts it there), and gets an empty page after it.
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused)
            return ChatReply.Error<QueryHistoryResult>(request, refused);
        var messages = await _store.QueryHistoryAsync(connection.AppId, user, type, ChatWire.KeyFor(type, convId, user), request.NextSeq, count, forward, cancellationToken);
        result.Messages = [.. messages.Select(m => ChatWire.ToWire(m, user))];
        return result;
    }

    /// <summary>Deletes messages from the user's own view (<c>deleteMessages</c>).</summary>
    public Task<EmptyResult> DeleteMessagesAsync(IClientConnection connection, string user, DeleteMessagesRequest request, CancellationToken cancellationToken) =>
        DeleteAsync(connection, user, request, request.ConvType, request.ConvId, request.MessageIds, all: false, cancellationToken);

    /// <summary>Deletes all messages of a conversation from the user's own view (<c>deleteAllMessages</c>).</summary>
    public Task<EmptyResult> DeleteAllMessagesAsync(IClientConnection connection, string user, DeleteAllMessagesRequest request, CancellationToken cancellationToken) =>
        DeleteAsync(connection, user, request, request.ConvType, request.ConvId, null, all: true, cancellationToken);

    private async Task<EmptyResult> DeleteAsync(IClientConnection connection, string user, ProtocolRequest request, ConversationType? convType, string? conversationId,
        long[]? messageIds, bool all, CancellationToken cancellationToken)
    {
        var type = convType ?? ConversationType.Peer;
        string convId = conversationId ?? "";
        if (ChatValidator.StoredConversation(convId, type) is { } invalid) return ChatReply.Error<EmptyResult>(request, invalid);
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused)
            return ChatReply.Error<EmptyResult>(request, refused);
        string key = ChatWire.KeyFor(type, convId, user);
        if (all) await _store.DeleteAllMessagesAsync(connection.AppId, user, type, key, cancellationToken);
        else
        {
            if (ChatValidator.MessageIdsToDelete(messageIds) is { } badIds) return ChatReply.Error<EmptyResult>(request, badIds);
            await _store.DeleteMessagesAsync(connection.AppId, user, type, key, messageIds!, cancellationToken);
        }
        await ChatConversationAccess.NotifyConversationAsync(_store, connection, user, type, key, unreadToo: all, cancellationToken);
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>Revokes the user's own message for everyone in its conversation (<c>revokeMessage</c>).</summary>
    public async Task<RevokeMessageResult> RevokeAsync(IClientConnection connection, string user, RevokeMessageRequest request, CancellationToken cancellationToken)
    {
        if (ChatValidator.MessageIdToRevoke(request.MessageIds) is { } invalid) return ChatReply.Error<RevokeMessageResult>(request, invalid);
        long messageId = request.MessageIds![0];
        var original = await _store.GetMessageAsync(connection.AppId, messageId, cancellationToken);
        if (original is null) return ChatReply.Error<RevokeMessageResult>(request, ChatErrorCodes.TargetMissing, "no such message");
        if (original.SenderUserId != user)
        {
            ChatLog.AccessRefused(_logger, connection.AppId, user, request.Op, original.ConversationType, original.ConversationKey);
            return ChatReply.Error<RevokeMessageResult>(request, ChatErrorCodes.NoPermission, "only the sender may revoke a message");
        }
        if (original.ConversationType == ConversationType.Group
            && await CheckGroupAccessAsync(connection.AppId, user, request, ConversationType.Group, original.ConversationKey, needMember: true, cancellationToken) is { } refused)
            return ChatReply.Error<RevokeMessageResult>(request, refused);
        var revoked = await _store.RevokeAsync(connection.AppId, messageId, cancellationToken);
        if (revoked is null) return ChatReply.Error<RevokeMessageResult>(request, ChatErrorCodes.TargetMissing, "no such message");
        IReadOnlyList<string> audience = revoked.ConversationType == ConversationType.Group
            ? await _store.GetGroupMembersAsync(connection.AppId, revoked.ConversationKey, cancellationToken)
            : [ConversationKeys.PeerOf(revoked.ConversationKey, user), user];
        var online = await _users.OnlineAsync(connection.AppId, audience);
        _users.Send(connection.AppId, [.. online.Select(u => new UserFrame(u, ChatEvents.Encode(new MessageRevokedEvent { Message = ChatWire.ToWire(revoked, u) })))]);
        var result = ChatReply.Ok<RevokeMessageResult>(request);
        result.Message = ChatWire.ToWire(revoked, user);
        return result;
    }

    /// <summary>Marks others' messages read and tells their senders (<c>sendReceiptsRead</c>).</summary>
    public async Task<SendReceiptsReadResult> SendReceiptsReadAsync(IClientConnection connection, string user, SendReceiptsReadRequest request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if ((ChatValidator.StoredConversation(convId, type) ?? ChatValidator.ReceiptMessageIds(request.MessageIds)) is { } invalid)
            return ChatReply.Error<SendReceiptsReadResult>(request, invalid);
        if (await CheckGroupAccessAsync(connection.AppId, user, request, type, convId, needMember: true, cancellationToken) is { } refused)
            return ChatReply.Error<SendReceiptsReadResult>(request, refused);
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
            _users.Send(connection.AppId, [.. changed.GroupBy(m => m.SenderUserId).Select(group => new UserFrame(group.Key, ChatEvents.Encode(new ReceiptChangedEvent
            {
                ConvType = type, ConvId = ChatWire.ConversationIdFor(type, key, group.Key),
                MessageIds = [.. group.Select(m => m.MessageId)], FromUserId = user,
            })))]);
        }
        var result = ChatReply.Ok<SendReceiptsReadResult>(request);
        result.MessageIds = [.. changed.Select(m => m.MessageId)];
        return result;
    }

    private Task<ChatError?> CheckGroupAccessAsync(uint app, string user, ProtocolRequest request, ConversationType type, string groupId, bool needMember, CancellationToken cancellationToken) =>
        ChatConversationAccess.CheckGroupAccessAsync(_store, _logger, app, user, request.Op, type, groupId, needMember, cancellationToken);
}
