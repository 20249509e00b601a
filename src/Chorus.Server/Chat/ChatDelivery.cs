using Chorus.Protocol;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Sending and delivery of peer, group and room messages: the send rate limit, storage (acknowledged after it is
/// durable), live delivery in commit order, and the conversation and unread notifications that follow.
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

    /// <summary>Creates the service.</summary>
    public ChatDelivery(IChatStore store, IChatPresence users, IChatRoomDirectory rooms, ChatValidator validator, MessageIdGenerator ids,
        IOptions<ChatOptions> options, TimeProvider time, ILogger<ChatDelivery> logger)
    {
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
    public async Task<Frame> SendAsync(ChatConnectionState login, string user, Frame request, CancellationToken cancellationToken)
    {
        var connection = login.Connection;
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        var message = request.Message;
        if (_validator.Send(user, type, convId, message) is { } invalid) return ChatReply.Error(request, invalid);
        if (message!.Type != ChatMessageType.Barrage && login.SendLimit?.TryAcquire(_time.GetUtcNow()) == false)
            return ChatReply.Error(request, ChatErrorCodes.RateLimitServer, $"at most {_options.ChatSendsPerSecond} messages per second per user");

        var sent = await DeliverAsync(connection.AppId, user, type, convId, message, cancellationToken);
        if (sent.Error is { } error)
        {
            if (error.Code is ChatErrorCodes.NoPermission or ChatErrorCodes.NotInRoom) ChatLog.AccessRefused(_logger, connection.AppId, user, request.Op ?? "", type, convId);
            return ChatReply.Error(request, error);
        }
        var result = ChatReply.Ok(request);
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
            var append = await _store.AppendAsync(new NewMessage
            {
                AppId = appId, ConversationType = type, ConversationKey = ChatWire.KeyFor(type, convId, sender), SenderUserId = sender,
                LocalMessageId = message.LocalMessageId, Type = message.Type, Text = message.Text, SubType = message.SubType ?? 0,
                SearchedContent = message.SearchedContent, ExtendedData = message.ExtendedData, HasReceipt = message.HasReceipt == true,
                Priority = message.Priority ?? 2, MentionedUserIds = message.MentionedUserIds,
                EnsureConversationFor = type == ConversationType.Peer ? [sender, convId] : [],
                // Live delivery runs in commit order, so that every receiver sees the conversation in sequence order.
                OnCommitted = committed => EnqueueLive(appId, sender, type, committed, recipients),
            }, cancellationToken);
            record = append.Message;
            wire = ChatWire.ToWire(record, sender);
            if (append.Duplicate) return wire; // delivered the first time; receivers catch up by sequence
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
            _users.Send(appId, recipients, sender, EncodedFrame.From(new Frame { Op = Ops.ChatMessage, Message = ReceiverView(wire, sender) }), Delivery.Unreliable);
            return wire;
        }

        // Conversation and unread notifications follow; they are informational and need not be ordered.
        await NotifyConversationChangedAsync(appId, sender, recipients, record, cancellationToken);
        return wire;
    }

    /// <summary>
    /// After a stored send: each online recipient gets its conversation changed event (with the new message as the last
    /// one) and, except the sender and where muted, its new unread total. One store read serves every recipient.
    /// </summary>
    private async Task NotifyConversationChangedAsync(uint appId, string sender, IReadOnlyList<string> recipients, StoredMessage record, CancellationToken cancellationToken)
    {
        var online = await _users.OnlineAsync(appId, recipients);
        if (online.Count == 0) return;
        var states = await _store.GetConversationStatesAsync(appId, online, record.ConversationType, record.ConversationKey, cancellationToken);
        var frames = new List<UserFrame>(states.Count * 2);
        foreach (var state in states)
        {
            // the message just committed is the newest one (a later one sends its own notification)
            var conversation = state.Conversation with
            {
                MaxSeq = Math.Max(state.Conversation.MaxSeq, record.Seq),
                LastMessage = record.Seq > state.Conversation.ClearedSeq ? record : null,
            };
            frames.Add(new UserFrame(state.UserId, EncodedFrame.From(new Frame { Op = Ops.ConversationChanged, Conversation = ChatWire.ToWire(conversation, state.UserId) })));
            if (state.UserId != sender && !conversation.Muted)
                frames.Add(new UserFrame(state.UserId, EncodedFrame.From(new Frame { Op = Ops.UnreadTotalChanged, UnreadTotal = state.UnreadTotal })));
        }
        // One send for every recipient's notifications (in a cluster: one message per node with recipients).
        if (frames.Count > 0) _users.Send(appId, frames);
    }

    private void EnqueueLive(uint appId, string sender, ConversationType type, StoredMessage committed, IReadOnlyList<string> recipients)
    {
        // Peer: the one receiver's view (the conversation named by the sender). Group: one encoding for the whole group
        // (the receivers' view is the same for all of them).
        string viewer = type == ConversationType.Group ? "" : recipients.FirstOrDefault(u => u != sender) ?? sender;
        _users.Send(appId, recipients, sender, EncodedFrame.From(new Frame { Op = Ops.ChatMessage, Message = ChatWire.ToWire(committed, viewer) }), Delivery.Reliable);
    }

    /// <summary>An unstored message as its receivers see it: a peer's named by its sender, a group's by the group.</summary>
    private static WireChatMessage ReceiverView(WireChatMessage m, string sender) => new()
    {
        MessageId = m.MessageId, SenderUserId = m.SenderUserId, ConversationId = m.ConversationType == ConversationType.Group ? m.ConversationId : sender,
        ConversationType = m.ConversationType, Timestamp = m.Timestamp, Type = m.Type, Text = m.Text, Data = m.Data, SubType = m.SubType, SearchedContent = m.SearchedContent,
        ExtendedData = m.ExtendedData, Priority = m.Priority, MentionedUserIds = m.MentionedUserIds,
    };
}
