using System.Collections.Concurrent;
using System.Text;
using Chorus.Protocol;

namespace Chorus.Client;

/// <summary>
/// The Chorus chat client (ZIM-style). One user per client. Messages of every conversation reach the application once
/// each and in conversation order: the client tracks each conversation's sequence number, and after a gap or a reconnect
/// it pulls what it missed from history, holding back live messages that arrive meanwhile, then delivers in order
/// (deduplicated by MessageId). Event handlers run on the SDK's threads: keep them short.
/// </summary>
public sealed class ChorusChatClient : IAsyncDisposable
{
    private readonly ProtocolChannel _channel;
    private readonly ConcurrentDictionary<(ConversationType, string), ConversationCursor> _cursors = new();
    private readonly ConcurrentDictionary<string, bool> _rooms = new(StringComparer.Ordinal);
    private ChatUserInfo? _user;
    private string? _token;

    /// <summary>Creates a client; it connects on login.</summary>
    public ChorusChatClient(ChorusClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _channel = new ProtocolChannel(options, OnEvent, RestoreAsync,
            onReconnecting: () => Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Reconnecting, ChatConnectionEvent.LoginInterrupted)),
            onGaveUp: () => Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Disconnected, ChatConnectionEvent.LoginInterrupted)),
            wantsConnection: () => _user is not null);
    }

    /// <summary>The logged-in user, if any.</summary>
    public ChatUserInfo? CurrentUser => _user;

    /// <summary>Peer messages arrived.</summary>
    public event EventHandler<MessagesReceived>? PeerMessageReceived;
    /// <summary>Group messages arrived.</summary>
    public event EventHandler<MessagesReceived>? GroupMessageReceived;
    /// <summary>Room messages arrived.</summary>
    public event EventHandler<MessagesReceived>? RoomMessageReceived;
    /// <summary>A conversation changed (new message, read, muted...).</summary>
    public event EventHandler<ChatConversation>? ConversationChanged;
    /// <summary>The total unread count over unmuted conversations changed.</summary>
    public event EventHandler<long>? ConversationTotalUnreadMessageCountUpdated;
    /// <summary>Receipts of messages this user sent changed.</summary>
    public event EventHandler<MessageReceiptChanged>? MessageReceiptChanged;
    /// <summary>A message was revoked (its content replaced by a Revoke marker).</summary>
    public event EventHandler<ChatMessage>? MessageRevokeReceived;
    /// <summary>The connection state changed (kicked out, reconnecting, connected...).</summary>
    public event EventHandler<ChatConnectionStateChanged>? ConnectionStateChanged;
    /// <summary>The token expires in this many seconds: call <see cref="RenewTokenAsync"/>.</summary>
    public event EventHandler<int>? TokenWillExpire;
    /// <summary>Group membership changed.</summary>
    public event EventHandler<GroupMemberChanged>? GroupMemberStateChanged;

    /// <summary>Logs in. Errors: 6000103 token invalid, 6000106 expired, 6000001 bad UserId or a UserName over 255 bytes
    /// (checked before connecting), 6000101 no connection, 1000005 the request is over the server's frame limit.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<ChatResult> LoginAsync(ChatUserInfo userInfo, string token, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        ArgumentNullException.ThrowIfNull(userInfo);
        if (RoomLimits.ValidateUserId(userInfo.UserId) is not 0 and int bad) return new ChatResult(ChatErrorCodes.BadParameter, RoomLimits.IdErrorText(bad));
        if (!RoomLimits.IsValidUserName(userInfo.UserName))
            return new ChatResult(ChatErrorCodes.BadParameter, "UserName is longer than 255 bytes");
        Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Connecting, ChatConnectionEvent.ActiveLogin));
        if (!await _channel.EnsureConnectedAsync(cancellationToken).ConfigureAwait(false))
        {
            Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Disconnected, ChatConnectionEvent.LoginTimeout));
            return new ChatResult(ChatErrorCodes.LoginFailed, "could not connect to the server");
        }
        var reply = await RequestAsync(ProtocolOps.ChatLogin, new ChatLoginRequest { UserId = userInfo.UserId, UserName = userInfo.UserName, Token = token }, cancellationToken).ConfigureAwait(false);
        if (reply.ErrorCode != 0)
        {
            Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Disconnected, ChatConnectionEvent.ActiveLogin));
            return new ChatResult(reply.ErrorCode ?? ChatErrorCodes.LoginFailed, reply.Error);
        }
        _user = userInfo;
        _token = token;
        _cursors.Clear();
        await CatchUpAsync(cancellationToken).ConfigureAwait(false);
        Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Connected, ChatConnectionEvent.Success));
        return new ChatResult(0, null);
    }

    /// <summary>Logs out; <see cref="ConnectionStateChanged"/> then reports Disconnected with <see cref="ChatConnectionEvent.Success"/>.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<ChatResult> LogoutAsync(CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        if (_user is null) return new ChatResult(ChatErrorCodes.NotLoggedIn, "not logged in");
        var reply = await RequestAsync(ProtocolOps.ChatLogout, new ChatLogoutRequest(), cancellationToken).ConfigureAwait(false);
        _user = null;
        _rooms.Clear();
        // ZIM has no logout event: a logout ends Disconnected with Success (ActiveLogin is a login's).
        Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Disconnected, ChatConnectionEvent.Success));
        return Result(reply);
    }

    /// <summary>Replaces the token (call it on <see cref="TokenWillExpire"/>).</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<ChatResult> RenewTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        var reply = await RequestAsync(ProtocolOps.ChatRenewToken, new ChatRenewTokenRequest { Token = token }, cancellationToken).ConfigureAwait(false);
        if (reply.ErrorCode == 0) _token = token;
        return Result(reply);
    }

    /// <summary>
    /// Sends a message to a peer, room or group. <paramref name="notification"/>'s OnMessageAttached fires first with the
    /// local message. The result comes after the server stored the message (text and custom) and carries its MessageId,
    /// Timestamp, ConversationSeq and OrderKey. Retrying with the same message (same LocalMessageId) never duplicates it.
    /// The SDK checks the message against the server's limits before sending (text and custom up to the server's
    /// ChatMaxTextBytes, 2048 by default; command and barrage 5120; ExtendedData 1024; SearchedContent 64): a message
    /// over a limit fails with 6000001 (OnMessageAttached is not called), a request over the server's frame limit with
    /// 1000005, and the connection is not touched.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<MessageSentResult> SendMessageAsync(ChatMessage message, string toConversationId, ConversationType conversationType,
        MessageSendConfig? config = null, MessageSendNotification? notification = null, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        ArgumentNullException.ThrowIfNull(message);
        config ??= new MessageSendConfig();
        message.ConversationId = toConversationId;
        message.ConversationType = conversationType;
        message.SenderUserId = _user?.UserId ?? "";
        message.Direction = MessageDirection.Send;
        var wire = message.ToWire(config);
        if ((ChatLimits.ConversationProblem(toConversationId, conversationType) ?? ChatLimits.ValidateMessage(wire, conversationType, _channel.MaxTextBytes)) is { } problem)
        {
            message.SentStatus = MessageSentStatus.Failed;
            return new MessageSentResult(message, ChatErrorCodes.BadParameter, problem);
        }
        message.SentStatus = MessageSentStatus.Sending;
        notification?.OnMessageAttached?.Invoke(message);
        var cursor = Cursor(conversationType, toConversationId);
        cursor.BeginSend();
        try
        {
            var reply = await RequestAsync(ProtocolOps.SendMessage, new SendMessageRequest { ConvType = conversationType, ConvId = toConversationId, Message = wire }, cancellationToken).ConfigureAwait(false);
            if (reply.ErrorCode != 0 || reply.Message is null)
            {
                message.SentStatus = MessageSentStatus.Failed;
                return new MessageSentResult(message, reply.ErrorCode ?? ChatErrorCodes.BadParameter, reply.Error);
            }
            message.Fill(reply.Message, _user?.UserId ?? "");
            if (message.ConversationSeq > 0) cursor.Accept(reply.Message, offline: false);
            return new MessageSentResult(message, 0, null);
        }
        finally
        {
            cursor.EndSend();
        }
    }

    /// <summary>Sends a peer message.</summary>
    [Obsolete("Use SendMessageAsync with ConversationType.Peer.")]
    public Task<MessageSentResult> SendPeerMessageAsync(ChatMessage message, string toUserId, MessageSendConfig? config = null, CancellationToken cancellationToken = default) =>
        SendMessageAsync(message, toUserId, ConversationType.Peer, config, null, cancellationToken);

    /// <summary>Sends a room message.</summary>
    [Obsolete("Use SendMessageAsync with ConversationType.Room.")]
    public Task<MessageSentResult> SendRoomMessageAsync(ChatMessage message, string toRoomId, MessageSendConfig? config = null, CancellationToken cancellationToken = default) =>
        SendMessageAsync(message, toRoomId, ConversationType.Room, config, null, cancellationToken);

    /// <summary>Sends a group message.</summary>
    [Obsolete("Use SendMessageAsync with ConversationType.Group.")]
    public Task<MessageSentResult> SendGroupMessageAsync(ChatMessage message, string toGroupId, MessageSendConfig? config = null, CancellationToken cancellationToken = default) =>
        SendMessageAsync(message, toGroupId, ConversationType.Group, config, null, cancellationToken);

    /// <summary>Pages through history (command and barrage messages never appear). Count is 1–100.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<HistoryQueryResult> QueryHistoryMessageAsync(string conversationId, ConversationType conversationType, HistoryQueryConfig? config = null, CancellationToken cancellationToken = default)
    {
        config ??= new HistoryQueryConfig();
        // ZIM's direction (Reverse: from the latest message back) is the wire's newer→older page (reverse: false), and
        // the other way round; the wire's newer→older page comes newest first and is turned to ZIM's oldest-first order.
        var reply = await CallAsync(ChatLimits.ConversationProblem(conversationId, conversationType) ?? ChatLimits.PageCountProblem(config.Count), ProtocolOps.QueryHistory, new QueryHistoryRequest
        {
            ConvType = conversationType, ConvId = conversationId, Count = config.Count, Reverse = !config.Reverse,
            NextSeq = config.NextMessage?.ConversationSeq ?? config.NextConversationSeq,
        }, cancellationToken).ConfigureAwait(false);
        var messages = (reply.Messages ?? []).Select(w => ChatMessage.FromWire(w, _user?.UserId ?? "", offline: false)).ToArray();
        if (config.Reverse) Array.Reverse(messages);
        return new HistoryQueryResult(messages, reply.ErrorCode ?? 0, reply.Error);
    }

    /// <summary>Deletes messages from this user's view.</summary>
    public Task<ChatResult> DeleteMessagesAsync(IReadOnlyList<ChatMessage> messages, string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        DeleteMessagesAsync([.. messages.Select(m => m.MessageId)], conversationId, conversationType, cancellationToken);

    /// <summary>Deletes messages, named by MessageId, from this user's view.</summary>
    public async Task<ChatResult> DeleteMessagesAsync(IReadOnlyList<long> messageIds, string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType)
            ?? ChatLimits.MessageIdsProblem(messageIds.Count, ChatLimits.MaxHistoryCount), ProtocolOps.DeleteMessages, new DeleteMessagesRequest { ConvType = conversationType, ConvId = conversationId, MessageIds = [.. messageIds] }, cancellationToken).ConfigureAwait(false));

    /// <summary>Deletes every message of a conversation from this user's view.</summary>
    public async Task<ChatResult> DeleteAllMessageAsync(string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType), ProtocolOps.DeleteAllMessages, new DeleteAllMessagesRequest { ConvType = conversationType, ConvId = conversationId }, cancellationToken).ConfigureAwait(false));

    /// <summary>Revokes one of this user's messages; both sides see a Revoke marker in its place.</summary>
    public Task<MessageSentResult> RevokeMessageAsync(ChatMessage message, CancellationToken cancellationToken = default) =>
        RevokeMessageAsync(message.MessageId, cancellationToken);

    /// <summary>Revokes one of this user's messages by MessageId.</summary>
    public async Task<MessageSentResult> RevokeMessageAsync(long messageId, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync(null, ProtocolOps.RevokeMessage, new RevokeMessageRequest { MessageIds = [messageId] }, cancellationToken).ConfigureAwait(false);
        var revoked = reply.Message is null ? new ChatMessage { Type = ChatMessageType.Revoke, MessageId = messageId } : ChatMessage.FromWire(reply.Message, _user?.UserId ?? "", offline: false);
        return new MessageSentResult(revoked, reply.ErrorCode ?? 0, reply.Error);
    }

    /// <summary>Tells the senders that these messages (at most 10, sent with HasReceipt) were read.</summary>
    public Task<ChatResult> SendMessageReceiptsReadAsync(IReadOnlyList<ChatMessage> messages, string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        SendMessageReceiptsReadAsync([.. messages.Select(m => m.MessageId)], conversationId, conversationType, cancellationToken);

    /// <summary>Tells the senders that these messages, named by MessageId (at most 10), were read.</summary>
    public async Task<ChatResult> SendMessageReceiptsReadAsync(IReadOnlyList<long> messageIds, string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType)
            ?? ChatLimits.MessageIdsProblem(messageIds.Count, ChatLimits.MaxReceiptMessages), ProtocolOps.SendReceiptsRead, new SendReceiptsReadRequest { ConvType = conversationType, ConvId = conversationId, MessageIds = [.. messageIds] }, cancellationToken).ConfigureAwait(false));

    /// <summary>This user's conversations, pinned first, then newest first.</summary>
    public async Task<ConversationListResult> QueryConversationListAsync(int count = 100, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync(ChatLimits.PageCountProblem(count), ProtocolOps.QueryConversations, new QueryConversationsRequest { Count = count }, cancellationToken).ConfigureAwait(false);
        return new ConversationListResult((reply.Conversations ?? []).Select(ToConversation).ToArray(), reply.ErrorCode ?? 0, reply.Error);
    }

    /// <summary>Marks a conversation as read.</summary>
    public async Task<ChatResult> ClearConversationUnreadMessageCountAsync(string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType), ProtocolOps.ClearUnread, new ClearUnreadRequest { ConvType = conversationType, ConvId = conversationId }, cancellationToken).ConfigureAwait(false));

    /// <summary>Removes a conversation from the list until a new message arrives.</summary>
    public async Task<ChatResult> DeleteConversationAsync(string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType), ProtocolOps.DeleteConversation, new DeleteConversationRequest { ConvType = conversationType, ConvId = conversationId }, cancellationToken).ConfigureAwait(false));

    /// <summary>Mutes (true) or unmutes a conversation: a muted one adds nothing to the total unread count.</summary>
    public async Task<ChatResult> SetConversationNotificationStatusAsync(bool muted, string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType), ProtocolOps.SetNotificationStatus, new SetNotificationStatusRequest { ConvType = conversationType, ConvId = conversationId, Muted = muted }, cancellationToken).ConfigureAwait(false));

    /// <summary>Pins or unpins a conversation.</summary>
    public async Task<ChatResult> UpdateConversationPinnedStateAsync(bool pinned, string conversationId, ConversationType conversationType, CancellationToken cancellationToken = default) =>
        Result(await CallAsync(ChatLimits.StoredConversationProblem(conversationId, conversationType), ProtocolOps.PinConversation, new PinConversationRequest { ConvType = conversationType, ConvId = conversationId, Pinned = pinned }, cancellationToken).ConfigureAwait(false));

    /// <summary>Creates a group owned by this user, with initial members. 6000524 if it exists, 6000525 if too many members.</summary>
    public Task<GroupResult> CreateGroupAsync(string groupId, string groupName, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default) =>
        GroupAsync(ProtocolOps.CreateGroup, new CreateGroupRequest { ConvId = groupId, Name = groupName, Members = [.. userIds] }, groupId, userIds, groupName, cancellationToken);
    /// <summary>Joins a group.</summary>
    public Task<GroupResult> JoinGroupAsync(string groupId, CancellationToken cancellationToken = default) => GroupAsync(ProtocolOps.JoinGroup, new JoinGroupRequest { ConvId = groupId }, groupId, null, null, cancellationToken);
    /// <summary>Leaves a group.</summary>
    public Task<GroupResult> LeaveGroupAsync(string groupId, CancellationToken cancellationToken = default) => GroupAsync(ProtocolOps.LeaveGroup, new LeaveGroupRequest { ConvId = groupId }, groupId, null, null, cancellationToken);
    /// <summary>Dismisses a group (owner only).</summary>
    public Task<GroupResult> DismissGroupAsync(string groupId, CancellationToken cancellationToken = default) => GroupAsync(ProtocolOps.DismissGroup, new DismissGroupRequest { ConvId = groupId }, groupId, null, null, cancellationToken);
    /// <summary>Invites users into a group (members only).</summary>
    public Task<GroupResult> InviteUsersIntoGroupAsync(IReadOnlyList<string> userIds, string groupId, CancellationToken cancellationToken = default) =>
        GroupAsync(ProtocolOps.InviteGroupMembers, new InviteGroupMembersRequest { ConvId = groupId, Members = [.. userIds] }, groupId, userIds, null, cancellationToken);
    /// <summary>Kicks members out of a group (owner only).</summary>
    public Task<GroupResult> KickGroupMembersAsync(IReadOnlyList<string> userIds, string groupId, CancellationToken cancellationToken = default) =>
        GroupAsync(ProtocolOps.KickGroupMembers, new KickGroupMembersRequest { ConvId = groupId, Members = [.. userIds] }, groupId, userIds, null, cancellationToken);
    /// <summary>A group's information.</summary>
    public Task<GroupResult> QueryGroupInfoAsync(string groupId, CancellationToken cancellationToken = default) => GroupAsync(ProtocolOps.QueryGroupInfo, new QueryGroupInfoRequest { ConvId = groupId }, groupId, null, null, cancellationToken);

    /// <summary>A group's members (members only).</summary>
    public Task<MemberListResult> QueryGroupMemberListAsync(string groupId, CancellationToken cancellationToken = default) =>
        MembersAsync(ChatLimits.GroupProblem(groupId, null, null), ProtocolOps.QueryGroupMembers, new QueryGroupMembersRequest { ConvId = groupId }, r => r.Members, cancellationToken);

    /// <summary>Creates a chat room and enters it (6000323 if it exists).</summary>
    public Task<ChatRoomResult> CreateRoomAsync(string roomId, string roomName, CancellationToken cancellationToken = default) => EnterRoomAsync(ProtocolOps.CreateRoom, new CreateRoomRequest { ConvId = roomId, Name = roomName }, roomId, roomName, cancellationToken);
    /// <summary>Enters a chat room, creating it if missing.</summary>
    public Task<ChatRoomResult> EnterRoomAsync(string roomId, string roomName = "", CancellationToken cancellationToken = default) => EnterRoomAsync(ProtocolOps.EnterRoom, new EnterRoomRequest { ConvId = roomId, Name = roomName }, roomId, roomName, cancellationToken);
    /// <summary>Joins an existing chat room (6000322 if missing).</summary>
    public Task<ChatRoomResult> JoinRoomAsync(string roomId, CancellationToken cancellationToken = default) => EnterRoomAsync(ProtocolOps.JoinRoom, new JoinRoomRequest { ConvId = roomId }, roomId, null, cancellationToken);
    /// <summary>Leaves a chat room.</summary>
    public async Task<ChatResult> LeaveRoomAsync(string roomId, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync(ChatLimits.RoomProblem(roomId, null), ProtocolOps.LeaveRoom, new LeaveRoomRequest { ConvId = roomId }, cancellationToken).ConfigureAwait(false);
        if (reply.ErrorCode == 0)
        {
            _rooms.TryRemove(roomId, out _);
            return new ChatResult(0, null);
        }
        return Result(reply);
    }

    /// <summary>A chat room's members.</summary>
    public Task<MemberListResult> QueryRoomMemberListAsync(string roomId, CancellationToken cancellationToken = default) =>
        MembersAsync(ChatLimits.RoomProblem(roomId, null), ProtocolOps.QueryRoomMembers, new QueryRoomMembersRequest { ConvId = roomId }, r => r.Members, cancellationToken);

    /// <summary>Closes the connection. Safe to call more than once. Afterwards every method throws
    /// <see cref="ObjectDisposedException"/>; requests under way fail with 6000121.</summary>
    public async ValueTask DisposeAsync()
    {
        _user = null;
        await _channel.DisposeAsync().ConfigureAwait(false);
    }

    // ---- plumbing --------------------------------------------------------------------------

    private Task<TResult> RequestAsync<TRequest, TResult>(RequestOp<TRequest, TResult> op, TRequest request, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new() =>
        _channel.RequestAsync(op, request, ChatErrorCodes.NotLoggedIn, cancellationToken);

    /// <summary>A request of the public API: throws once disposed; refused with 6000001 before sending when
    /// <paramref name="problem"/> names what the server would refuse; else sent.</summary>
    private Task<TResult> CallAsync<TRequest, TResult>(string? problem, RequestOp<TRequest, TResult> op, TRequest request, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new()
    {
        _channel.ThrowIfDisposed(this);
        if (problem is not null) return Task.FromResult(new TResult { ErrorCode = ChatErrorCodes.BadParameter, Error = problem });
        return RequestAsync(op, request, cancellationToken);
    }

    private static ChatResult Result(ProtocolResult reply) => new(reply.ErrorCode ?? 0, reply.Error);

    /// <summary>A group op; its result carries the group for create, join, invite and info.</summary>
    private async Task<GroupResult> GroupAsync<TRequest, TResult>(RequestOp<TRequest, TResult> op, TRequest request, string groupId, IReadOnlyList<string>? members, string? name, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new()
    {
        var reply = await CallAsync(ChatLimits.GroupProblem(groupId, members, name), op, request, cancellationToken).ConfigureAwait(false);
        var g = (reply as ResultWithGroup)?.Group;
        return new GroupResult(g is null ? null : new ChatGroupInfo(g.GroupId ?? "", g.GroupName ?? "", g.OwnerUserId ?? "", g.MemberCount), reply.ErrorCode ?? 0, reply.Error);
    }

    private async Task<MemberListResult> MembersAsync<TRequest, TResult>(string? problem, RequestOp<TRequest, TResult> op, TRequest request, Func<TResult, string[]?> members, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new()
    {
        var reply = await CallAsync(problem, op, request, cancellationToken).ConfigureAwait(false);
        return new MemberListResult(members(reply) ?? [], reply.ErrorCode ?? 0, reply.Error);
    }

    /// <summary>Creates, enters or joins a chat room; live messages start after what the room holds now.</summary>
    private async Task<ChatRoomResult> EnterRoomAsync<TRequest, TResult>(RequestOp<TRequest, TResult> op, TRequest request, string roomId, string? name, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ResultWithChatRoom, new()
    {
        var reply = await CallAsync(ChatLimits.RoomProblem(roomId, name), op, request, cancellationToken).ConfigureAwait(false);
        if (reply.ErrorCode == 0)
        {
            // A room's history is not replayed on entry: live messages start after what is there now.
            if (_rooms.TryAdd(roomId, true)) Cursor(ConversationType.Room, roomId).StartAt(reply.NextSeq ?? 0);
            return new ChatRoomResult(0, null, reply.Count ?? 0, reply.NextSeq ?? 0);
        }
        return new ChatRoomResult(reply.ErrorCode ?? 0, reply.Error, 0, 0);
    }

    private ChatConversation ToConversation(WireConversation c) => new(c.ConversationId ?? "", c.ConversationType, c.UnreadMessageCount,
        c.LastMessage is null ? null : ChatMessage.FromWire(c.LastMessage, _user?.UserId ?? "", offline: false), c.NotificationStatus == 2, c.IsPinned, c.MaxSeq);

    private void OnEvent(ProtocolEvent received)
    {
        string me = _user?.UserId ?? "";
        switch (received)
        {
            case ChatMessageEvent { Message: { } w }:
                if (w.ConversationSeq > 0) Cursor(w.ConversationType, w.ConversationId ?? "").Accept(w, offline: false);
                else Deliver(w.ConversationType, w.ConversationId ?? "", [ChatMessage.FromWire(w, me, offline: false)]); // command, barrage: unsequenced
                break;
            case ConversationChangedEvent { Conversation: { } c }:
                Raise(ConversationChanged, ToConversation(c));
                break;
            case UnreadTotalEvent e:
                Raise(ConversationTotalUnreadMessageCountUpdated, e.UnreadTotal ?? 0);
                break;
            case ReceiptChangedEvent e:
                Raise(MessageReceiptChanged, new MessageReceiptChanged(e.ConvId ?? "", e.ConvType ?? ConversationType.Peer, e.MessageIds ?? [], e.FromUserId ?? ""));
                break;
            case MessageRevokedEvent { Message: { } r }:
                Raise(MessageRevokeReceived, ChatMessage.FromWire(r, me, offline: false));
                break;
            case ChatKickedOutEvent e:
                _user = null;
                Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Disconnected,
                    e.ErrorCode == ChatErrorCodes.TokenExpired ? ChatConnectionEvent.TokenExpired : ChatConnectionEvent.KickedOut));
                break;
            case ChatTokenWillExpireEvent e:
                Raise(TokenWillExpire, e.SecondsLeft ?? 0);
                break;
            case GroupMemberChangedEvent e:
                Raise(GroupMemberStateChanged, new GroupMemberChanged(e.ConvId ?? "", e.UpdateType ?? "", e.Members ?? []));
                break;
        }
    }

    private void Deliver(ConversationType type, string conversationId, IReadOnlyList<ChatMessage> messages)
    {
        var handler = type switch { ConversationType.Group => GroupMessageReceived, ConversationType.Room => RoomMessageReceived, _ => PeerMessageReceived };
        Raise(handler, new MessagesReceived(conversationId, type, messages));
    }

    /// <summary>After a reconnect: log back in, re-enter rooms, then catch up every conversation.</summary>
    private async Task<bool> RestoreAsync(CancellationToken cancellationToken)
    {
        if (_user is not { } user || _token is null) return true;
        var reply = await RequestAsync(ProtocolOps.ChatLogin, new ChatLoginRequest { UserId = user.UserId, UserName = user.UserName, Token = _token }, cancellationToken).ConfigureAwait(false);
        if (!_channel.IsConnected) return false;
        if (reply.ErrorCode != 0)
        {
            _user = null;
            Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Disconnected,
                reply.ErrorCode == ChatErrorCodes.TokenExpired ? ChatConnectionEvent.TokenExpired : ChatConnectionEvent.LoginInterrupted));
            return true;
        }
        foreach (var roomId in _rooms.Keys)
            await RequestAsync(ProtocolOps.EnterRoom, new EnterRoomRequest { ConvId = roomId }, cancellationToken).ConfigureAwait(false);
        await CatchUpAsync(cancellationToken).ConfigureAwait(false);
        if (!_channel.IsConnected) return false;
        Raise(ConnectionStateChanged, new ChatConnectionStateChanged(ChatConnectionState.Connected, ChatConnectionEvent.Success));
        return true;
    }

    /// <summary>Brings every conversation up to date: what was missed (or is unread, for a conversation not seen yet) is pulled and delivered as offline messages.</summary>
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var list = await RequestAsync(ProtocolOps.QueryConversations, new QueryConversationsRequest { Count = ChatLimits.MaxHistoryCount }, cancellationToken).ConfigureAwait(false);
        var syncs = new List<Task>();
        foreach (var c in list.Conversations ?? [])
        {
            var cursor = Cursor(c.ConversationType, c.ConversationId ?? "", startAt: c.MaxSeq - c.UnreadMessageCount);
            syncs.Add(cursor.SyncAsync(cancellationToken));
        }
        foreach (var roomId in _rooms.Keys) syncs.Add(Cursor(ConversationType.Room, roomId).SyncAsync(cancellationToken));
        await Task.WhenAll(syncs).ConfigureAwait(false);
    }

    private ConversationCursor Cursor(ConversationType type, string conversationId, long startAt = -1) =>
        _cursors.GetOrAdd((type, conversationId), _ => new ConversationCursor(this, type, conversationId, startAt));

    private void Raise<T>(EventHandler<T>? handler, T args) => EventRaiser.Raise(this, handler, args);

    /// <summary>
    /// Delivery order of one conversation: the last sequence number delivered, messages held back while a gap is
    /// filled from history, and the MessageIds already delivered.
    /// </summary>
    private sealed class ConversationCursor(ChorusChatClient owner, ConversationType type, string conversationId, long startAt)
    {
        private readonly Lock _gate = new();
        private readonly SortedDictionary<long, (WireChatMessage Message, bool Offline)> _held = [];
        private readonly HashSet<long> _delivered = [];
        private readonly Queue<long> _deliveredOrder = new();
        private long _last = startAt; // -1: not known yet (the first live message sets it)
        private int _syncing;
        private int _sending; // sends to this conversation not yet acknowledged
        private const int MaxSyncRetries = 5;

        /// <summary>A send to this conversation starts: a gap may be its own message, whose acknowledgment is on the way.</summary>
        public void BeginSend() => Interlocked.Increment(ref _sending);

        /// <summary>A send ended (its acknowledgment, if any, was accepted): a gap still open now is real.</summary>
        public void EndSend()
        {
            if (Interlocked.Decrement(ref _sending) > 0) return;
            bool gap;
            lock (_gate) gap = _held.Count > 0;
            if (gap) _ = SyncAsync(owner._channel.Disposed);
        }

        public void StartAt(long seq)
        {
            lock (_gate) if (_last < 0) _last = seq;
        }

        public void Accept(WireChatMessage message, bool offline)
        {
            List<ChatMessage>? ready;
            bool gap;
            lock (_gate)
            {
                if (_last < 0) _last = message.ConversationSeq - 1;
                if (message.ConversationSeq <= _last || _delivered.Contains(message.MessageId)) return;
                _held.TryAdd(message.ConversationSeq, (message, offline));
                ready = Drain(skipThrough: -1);
                gap = _held.Count > 0;
            }
            if (ready is { Count: > 0 }) owner.Deliver(type, conversationId, ready);
            // A live message can overtake the acknowledgment of one's own send just before it (the server acknowledges
            // after the commit, when the next message may already be on its way): that gap closes by itself, so history
            // is pulled only when no send is pending (else EndSend does it).
            if (gap && Volatile.Read(ref _sending) == 0) _ = SyncAsync(owner._channel.Disposed);
        }

        /// <summary>Pulls history after the last delivered message until there is no gap, then delivers in order.</summary>
        public async Task SyncAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _syncing, 1) == 1) return;
            int failures = 0, rereads = 0;
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    long from;
                    lock (_gate) from = Math.Max(_last, 0);
                    var reply = await owner.RequestAsync(ProtocolOps.QueryHistory, new QueryHistoryRequest { ConvType = type, ConvId = conversationId, NextSeq = from, Count = ChatLimits.MaxHistoryCount, Reverse = true }, cancellationToken).ConfigureAwait(false);
                    // A lasting refusal (no access to the conversation, which is gone or was never the user's) is not retried.
                    if (reply.ErrorCode is ChatErrorCodes.NoPermission or ChatErrorCodes.GroupMissing or ChatErrorCodes.NotInRoom or ChatErrorCodes.RoomMissing) return;
                    if (reply.ErrorCode != 0)
                    {
                        // A timeout or a refusal (a busy server) is tried again shortly: no later message may come to
                        // trigger another pull. A lost connection gives up here; the reconnect pulls again.
                        if (++failures > MaxSyncRetries) return;
                        await Task.Delay(TimeSpan.FromMilliseconds(100 * failures), cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    failures = 0;
                    var page = reply.Messages ?? [];
                    List<ChatMessage>? ready;
                    bool stillMissing;
                    lock (_gate)
                    {
                        foreach (var m in page)
                            if (m.ConversationSeq > _last) _held.TryAdd(m.ConversationSeq, (m, true));
                        // History is complete up to the last message it returned: a sequence number missing below that
                        // is deleted for this user, and is skipped rather than waited for. Beyond it nothing is known:
                        // a live message held here may have been committed after this read, and one before it may have
                        // gone to this user's previous connection, so that gap is pulled again rather than skipped.
                        ready = Drain(skipThrough: page.Length > 0 ? page[^1].ConversationSeq : from);
                        stillMissing = _held.Count > 0;
                    }
                    if (ready is { Count: > 0 }) owner.Deliver(type, conversationId, ready);
                    if (page.Length < ChatLimits.MaxHistoryCount)
                    {
                        // A read made after the held message arrived includes everything committed before it.
                        if (!stillMissing || ++rereads > MaxSyncRetries) return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // the client was disposed
            }
            finally
            {
                Interlocked.Exchange(ref _syncing, 0);
            }
        }

        private List<ChatMessage>? Drain(long skipThrough)
        {
            List<ChatMessage>? ready = null;
            string me = owner._user?.UserId ?? "";
            while (_held.Count > 0)
            {
                var (seq, (message, offline)) = _held.First();
                if (seq > _last + 1)
                {
                    if (seq - 1 > skipThrough) break;
                    _last = seq - 1;
                }
                _held.Remove(seq);
                if (seq <= _last) continue;
                _last = seq;
                if (!_delivered.Add(message.MessageId)) continue;
                _deliveredOrder.Enqueue(message.MessageId);
                if (_deliveredOrder.Count > 2048) _delivered.Remove(_deliveredOrder.Dequeue());
                if (message.SenderUserId == me) continue; // one's own messages advance the position but are not "received"
                (ready ??= []).Add(ChatMessage.FromWire(message, me, offline));
            }
            return ready;
        }
    }
}
