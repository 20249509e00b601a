using Chorus.Protocol;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Sending of peer, group and room messages: the send rate limit and storage (acknowledged after it is durable); live
/// delivery in commit order and the conversation and unread notifications that follow run in <see cref="ChatFanout"/>.
/// </summary>
public sealed class ChatDelivery
{
    private readonly IChatStore _store;
    private readonly IChatPresence _users;
    private readonly IChatRoomDirectory _rooms;
    private readonly ChatValidator _validator;
    private readonly MessageIdGenerator _ids;
    private readonly ChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChatDelivery> _logger;
    private readonly ChatFanout _fanout;

    /// <summary>Creates the service.</summary>
    public ChatDelivery(IChatStore store, IChatPresence users, IChatRoomDirectory rooms, ChatValidator validator, MessageIdGenerator ids,
        ChatFanout fanout, IOptions<ChatOptions> options, TimeProvider time, ILogger<ChatDelivery> logger)
    {
        _fanout = fanout;
        _store = store;
        _users = users;
        _rooms = rooms;
        _validator = validator;
        _ids = ids;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Sends a message from the logged-in <paramref name="user"/> (<c>sendMessage</c>).</summary>
    public async Task<SendMessageResult> SendAsync(ChatConnectionState login, string user, SendMessageRequest request, CancellationToken cancellationToken)
    {
        var connection = login.Connection;
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        var message = request.Message;
        if (_validator.Send(user, type, convId, message) is { } invalid) return ChatReply.Error<SendMessageResult>(request, invalid);
        if (message!.Type != ChatMessageType.Barrage && login.SendLimit?.TryAcquire(_time.GetUtcNow()) == false)
            return ChatReply.Error<SendMessageResult>(request, ChatErrorCodes.RateLimitServer, $"at most {_options.ChatSendsPerSecond} messages per second per user");

        var sent = await DeliverAsync(connection.AppId, user, type, convId, message, cancellationToken);
        if (sent.Error is { } error)
        {
            if (error.Code is ChatErrorCodes.NoPermission or ChatErrorCodes.NotInRoom) ChatLog.AccessRefused(_logger, connection.AppId, user, request.Op, type, convId);
            return ChatReply.Error<SendMessageResult>(request, error);
        }
        var result = ChatReply.Ok<SendMessageResult>(request);
        result.Message = sent.Value;
        return result;
    }

    /// <summary>
    /// Stores (when the kind is stored) and delivers one message from <paramref name="sender"/>; used by connections and the server API.
    /// Returns the message as the sender sees it. The answer comes only after the message is durable.
    /// </summary>
    /// <param name="appId">The app.</param>
    /// <param name="sender">The sending user.</param>
    /// <param name="type">Conversation type.</param>
    /// <param name="convId">Conversation ID as the sender names it.</param>
    /// <param name="message">The message (already validated).</param>
    /// <param name="cancellationToken">Stops waiting (the write may still land).</param>
    /// <param name="trusted">From the app's backend: the sender need not be a member of the group or room.</param>
    public async Task<ChatResult<WireChatMessage>> DeliverAsync(uint appId, string sender, ConversationType type, string convId,
        WireChatMessage message, CancellationToken cancellationToken, bool trusted = false)
    {
        bool stored = message.Type is ChatMessageType.Text or ChatMessageType.Custom;
        IReadOnlyList<string> recipients;
        switch (type)
        {
            case ConversationType.Group:
                // A member's send needs one read (the member list); the group's existence is read only to name a refusal.
                recipients = await _store.GetGroupMembersAsync(appId, convId, cancellationToken);
                if (trusted ? recipients.Count == 0 : !recipients.Contains(sender))
                {
                    if (await _store.GetGroupAsync(appId, convId, cancellationToken) is null) return ChatError.GroupMissing;
                    if (!trusted) return new ChatError(ChatErrorCodes.NoPermission, "only members may send to a group");
                }
                break;
            case ConversationType.Room:
                if (message.HasReceipt == true) return ChatError.BadParameter("room messages have no receipts");
                recipients = []; // the room directory fans out to the room's own members, in the room's one order
                break;
            default:
                recipients = [sender, convId];
                break;
        }

        WireChatMessage wire;
        StoredMessage? record = null;
        if (stored && type != ConversationType.Room)
        {
            var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var append = await _store.AppendAsync(new NewMessage
            {
                AppId = appId, ConversationType = type, ConversationKey = ChatWire.KeyFor(type, convId, sender), SenderUserId = sender,
                LocalMessageId = message.LocalMessageId, Type = message.Type, Text = message.Text, SubType = message.SubType ?? 0,
                SearchedContent = message.SearchedContent, ExtendedData = message.ExtendedData, HasReceipt = message.HasReceipt == true,
                Priority = message.Priority ?? 2, MentionedUserIds = message.MentionedUserIds,
                EnsureConversationFor = type == ConversationType.Peer ? [sender, convId] : [],
                // Live delivery is handed to the delivery stage in commit order, so that every receiver sees the conversation
                // in sequence order; the writer goes on with its next batch.
                OnCommitted = committed => _fanout.EnqueueCommitted(appId, sender, type, committed, recipients, queued),
            }, cancellationToken);
            record = append.Message;
            wire = ChatWire.ToWire(record, sender);
            if (append.Duplicate) return wire; // delivered the first time; receivers catch up by sequence
            // Answered once the live frames of this message (and every earlier one) are queued: a connection sees them
            // before the answer to its own later send.
            await queued.Task.WaitAsync(cancellationToken);
        }
        else
        {
            wire = new WireChatMessage
            {
                MessageId = _ids.Next(), LocalMessageId = message.LocalMessageId, SenderUserId = sender, ConversationId = convId, ConversationType = type,
                Timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds(), Type = message.Type, Text = message.Text, Data = message.Data, SubType = message.SubType,
                SearchedContent = message.SearchedContent, ExtendedData = message.ExtendedData, Priority = message.Priority ?? 2,
                MentionedUserIds = message.MentionedUserIds,
            };
            if (type == ConversationType.Room) return await _rooms.SendAsync(appId, sender, convId, wire, stored, trusted);
            // Every receiver's view is the same: encoded once.
            _users.Send(appId, recipients, sender, ChatEvents.Encode(new ChatMessageEvent { Message = ReceiverView(wire, sender) }), Delivery.Unreliable);
            return wire;
        }

        // Conversation and unread notifications follow in the delivery stage: the send is answered once it is committed.
        await _fanout.EnqueueNotificationsAsync(appId, sender, recipients, record);
        return wire;
    }

    /// <summary>An unstored message as its receivers see it: a peer's named by its sender, a group's by the group.</summary>
    private static WireChatMessage ReceiverView(WireChatMessage m, string sender) => new()
    {
        MessageId = m.MessageId, SenderUserId = m.SenderUserId, ConversationId = m.ConversationType == ConversationType.Group ? m.ConversationId : sender,
        ConversationType = m.ConversationType, Timestamp = m.Timestamp, Type = m.Type, Text = m.Text, Data = m.Data, SubType = m.SubType, SearchedContent = m.SearchedContent,
        ExtendedData = m.ExtendedData, Priority = m.Priority, MentionedUserIds = m.MentionedUserIds,
    };
}
