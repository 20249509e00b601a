using Chorus.Protocol;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>
/// A user's conversation list with unread counts, and its settings (clear unread, delete, mute, pin). Former group
/// members keep their own view up to their leave point. The messages in them are <see cref="ChatMessages"/>' part.
/// </summary>
public sealed class ChatConversations
{
    private readonly IChatStore _store;
    private readonly ILogger<ChatConversations> _logger;

    /// <summary>Creates the service.</summary>
    public ChatConversations(IChatStore store, ILogger<ChatConversations> logger)
    {
        _store = store;
        _logger = logger;
    }

    /// <summary>The user's conversations, newest first, and the unread total (<c>queryConversations</c>).</summary>
    public async Task<QueryConversationsResult> QueryConversationsAsync(IClientConnection connection, string user, QueryConversationsRequest request, CancellationToken cancellationToken)
    {
        int count = request.Count ?? 100;
        if (ChatValidator.PageCount(count) is { } invalid) return ChatReply.Error<QueryConversationsResult>(request, invalid);
        var list = await _store.QueryConversationsAsync(connection.AppId, user, count, cancellationToken);
        var result = ChatReply.Ok<QueryConversationsResult>(request);
        result.Conversations = [.. list.Select(c => ChatWire.ToWire(c, user))];
        result.UnreadTotal = await _store.GetUnreadTotalAsync(connection.AppId, user, cancellationToken);
        return result;
    }

    /// <summary>Marks the user's view of a conversation read (<c>clearUnread</c>).</summary>
    public Task<EmptyResult> ClearUnreadAsync(IClientConnection connection, string user, ClearUnreadRequest request, CancellationToken cancellationToken) =>
        UpdateAsync(connection, user, request, request.ConvType, request.ConvId, notify: true,
            (type, key) => _store.MarkReadAsync(connection.AppId, user, type, key, null, cancellationToken), cancellationToken);

    /// <summary>Hides a conversation from the user's list (<c>deleteConversation</c>).</summary>
    public Task<EmptyResult> DeleteConversationAsync(IClientConnection connection, string user, DeleteConversationRequest request, CancellationToken cancellationToken) =>
        UpdateAsync(connection, user, request, request.ConvType, request.ConvId, notify: false,
            (type, key) => _store.HideConversationAsync(connection.AppId, user, type, key, cancellationToken), cancellationToken);

    /// <summary>Mutes or unmutes a conversation for the user (<c>setNotificationStatus</c>).</summary>
    public Task<EmptyResult> SetNotificationStatusAsync(IClientConnection connection, string user, SetNotificationStatusRequest request, CancellationToken cancellationToken) =>
        UpdateAsync(connection, user, request, request.ConvType, request.ConvId, notify: true,
            (type, key) => _store.SetMutedAsync(connection.AppId, user, type, key, request.Muted == true, cancellationToken), cancellationToken);

    /// <summary>Pins or unpins a conversation for the user (<c>pinConversation</c>).</summary>
    public Task<EmptyResult> PinConversationAsync(IClientConnection connection, string user, PinConversationRequest request, CancellationToken cancellationToken) =>
        UpdateAsync(connection, user, request, request.ConvType, request.ConvId, notify: true,
            (type, key) => _store.SetPinnedAsync(connection.AppId, user, type, key, request.Pinned == true, cancellationToken), cancellationToken);

    /// <summary>
    /// Changes the user's view of a conversation with <paramref name="write"/>, then tells the user: the changed
    /// conversation (when <paramref name="notify"/>) and the unread total.
    /// </summary>
    private async Task<EmptyResult> UpdateAsync(IClientConnection connection, string user, ProtocolRequest request, ConversationType? convType, string? conversationId,
        bool notify, Func<ConversationType, string, Task> write, CancellationToken cancellationToken)
    {
        var type = convType ?? ConversationType.Peer;
        string convId = conversationId ?? "";
        if (ChatValidator.StoredConversation(convId, type) is { } invalid) return ChatReply.Error<EmptyResult>(request, invalid);
        // Checked before the write: a refused call creates no conversation entry.
        if (await ChatConversationAccess.CheckGroupAccessAsync(_store, _logger, connection.AppId, user, request.Op, type, convId, needMember: false, cancellationToken) is { } refused)
            return ChatReply.Error<EmptyResult>(request, refused);
        string key = ChatWire.KeyFor(type, convId, user);
        await write(type, key);
        if (notify) await ChatConversationAccess.NotifyConversationAsync(_store, connection, user, type, key, unreadToo: false, cancellationToken);
        connection.Send(ChatEvents.Encode(new UnreadTotalEvent { UnreadTotal = await _store.GetUnreadTotalAsync(connection.AppId, user, cancellationToken) }), Delivery.Reliable);
        return ChatReply.Ok<EmptyResult>(request);
    }
}
