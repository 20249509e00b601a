using System.Text;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Gateway;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// In-app chat (ZIM-style): login, peer/group/room messages (stored, sequenced, acknowledged after they are durable,
/// delivered live), history, conversations with unread counts, receipts, revoke, groups and chat rooms.
/// </summary>
public sealed partial class ChatService
{
    private readonly IChatStore _store;
    private readonly AppRegistry _apps;
    private readonly ChatUserRegistry _users;
    private readonly ChatRoomRegistry _rooms;
    private readonly MessageIdGenerator _ids;
    private readonly ChorusServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChatService> _logger;
    private readonly TokenValidator _tokens;

    /// <summary>Creates the service.</summary>
    public ChatService(IChatStore store, AppRegistry apps, ChatUserRegistry users, ChatRoomRegistry rooms, MessageIdGenerator ids,
        IOptions<ChorusServerOptions> options, TimeProvider time, TokenValidator tokens, ILogger<ChatService> logger)
    {
        _tokens = tokens;
        _store = store;
        _apps = apps;
        _users = users;
        _rooms = rooms;
        _ids = ids;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Whether an op belongs to chat.</summary>
    public static bool Handles(string? op) => op is not null && s_ops.Contains(op);

    private static readonly HashSet<string> s_ops =
    [
        Ops.ChatLogin, Ops.ChatLogout, Ops.ChatRenewToken, Ops.SendMessage, Ops.QueryHistory, Ops.DeleteMessages, Ops.DeleteAllMessages,
        Ops.RevokeMessage, Ops.SendReceiptsRead, Ops.QueryConversations, Ops.ClearUnread, Ops.DeleteConversation, Ops.SetNotificationStatus,
        Ops.PinConversation, Ops.CreateGroup, Ops.JoinGroup, Ops.LeaveGroup, Ops.DismissGroup, Ops.InviteGroupMembers, Ops.KickGroupMembers,
        Ops.QueryGroupInfo, Ops.QueryGroupMembers, Ops.CreateRoom, Ops.EnterRoom, Ops.JoinRoom, Ops.LeaveRoom, Ops.QueryRoomMembers,
    ];

    /// <summary>Handles one chat request from a connection.</summary>
    public async Task<Frame> HandleAsync(ClientSession session, Frame request, CancellationToken cancellationToken)
    {
        try
        {
            if (request.Op == Ops.ChatLogin) return await LoginAsync(session, request, cancellationToken);
            if (session.ChatUserId is not { } user) return Error(request, ChatErrorCodes.NotLoggedIn, "chat login required");
            return request.Op switch
            {
                Ops.ChatLogout => Logout(session, request),
                Ops.ChatRenewToken => await RenewTokenAsync(session, user, request),
                Ops.SendMessage => await SendAsync(session, user, request, cancellationToken),
                Ops.QueryHistory => await QueryHistoryAsync(session, user, request, cancellationToken),
                Ops.DeleteMessages => await DeleteMessagesAsync(session, user, request, all: false, cancellationToken),
                Ops.DeleteAllMessages => await DeleteMessagesAsync(session, user, request, all: true, cancellationToken),
                Ops.RevokeMessage => await RevokeAsync(session, user, request, cancellationToken),
                Ops.SendReceiptsRead => await SendReceiptsReadAsync(session, user, request, cancellationToken),
                Ops.QueryConversations => await QueryConversationsAsync(session, user, request, cancellationToken),
                Ops.ClearUnread or Ops.DeleteConversation or Ops.SetNotificationStatus or Ops.PinConversation =>
                    await UpdateConversationAsync(session, user, request, cancellationToken),
                Ops.CreateGroup or Ops.JoinGroup or Ops.LeaveGroup or Ops.DismissGroup or Ops.InviteGroupMembers or Ops.KickGroupMembers
                    or Ops.QueryGroupInfo or Ops.QueryGroupMembers => await GroupAsync(session, user, request, cancellationToken),
                _ => Room(session, user, request),
            };
        }
        catch (Exception ex) when (ex is ChatStoreException or ObjectDisposedException)
        {
            Log.StoreFailed(_logger, request.Op ?? "", ex.Message);
            return Error(request, ChatErrorCodes.BadParameter, "the server could not store this; retry with the same localMessageId");
        }
    }

    // ---- login ----------------------------------------------------------------------------

    private async Task<Frame> LoginAsync(ClientSession session, Frame request, CancellationToken cancellationToken)
    {
        string userId = request.UserId ?? "";
        if (RoomLimits.ValidateUserId(userId) != 0) return Error(request, ChatErrorCodes.BadParameter, "UserId must be 1-64 bytes without control, invisible or direction-changing characters");
        if (request.UserName is { } name && Encoding.UTF8.GetByteCount(name) > RoomLimits.MaxUserNameBytes)
            return Error(request, ChatErrorCodes.BadParameter, "UserName is longer than 255 bytes");
        if (session.UserId is not null && session.UserId != userId)
            return Error(request, ChatErrorCodes.LoginFailed, "this connection is logged into rooms as another user");
        if (session.ChatUserId is not null && session.ChatUserId != userId)
            return Error(request, ChatErrorCodes.LoginFailed, "this connection is logged into chat as another user");
        var check = await _tokens.CheckAsync(session.AppId, session.Remote, request.Token, userId, null, TokenUse.ChatLogin);
        if (check.Outcome != TokenOutcome.Valid) return TokenRefusal(request, check.Outcome);

        if (session.ChatUserId != userId) session.ChatSendLimit = new SlidingWindowLimiter(_options.ChatSendsPerSecond, TimeSpan.FromSeconds(1));
        session.ChatUserId = userId;
        session.ChatTokenExpiresAt = check.Claims!.ExpiresAt;
        session.ChatTokenWarned = false;
        var previous = _users.Set(session.AppId, userId, session);
        if (previous is not null)
        {
            // One device per user: the earlier login is told and logged out.
            previous.ChatUserId = null;
            previous.Send(new Frame { Op = Ops.ChatKickedOut, ErrorCode = ChatErrorCodes.NotLoggedIn, Error = "the same user logged in elsewhere" });
        }
        var result = Ok(request);
        result.UnreadTotal = await _store.GetUnreadTotalAsync(session.AppId, userId, cancellationToken);
        return result;
    }

    /// <summary>The one answer for each refused token outcome (the same texts as room logins; the reason is logged only).</summary>
    private static Frame TokenRefusal(Frame request, TokenOutcome outcome) => outcome switch
    {
        TokenOutcome.Expired => Error(request, ChatErrorCodes.TokenExpired, Rooms.RoomSignaling.TokenExpiredMessage),
        TokenOutcome.Throttled => Error(request, RoomErrorCodes.TooManyLoginAttempts, Rooms.RoomSignaling.TooManyFailedLoginsMessage),
        _ => Error(request, ChatErrorCodes.TokenInvalid, Rooms.RoomSignaling.TokenInvalidMessage),
    };

    private Frame Logout(ClientSession session, Frame request)
    {
        OnSessionClosed(session);
        session.ChatUserId = null;
        return Ok(request);
    }

    private async Task<Frame> RenewTokenAsync(ClientSession session, string user, Frame request)
    {
        var check = await _tokens.CheckAsync(session.AppId, session.Remote, request.Token, user, null, TokenUse.ChatRenew);
        if (check.Outcome != TokenOutcome.Valid) return TokenRefusal(request, check.Outcome);
        session.ChatTokenExpiresAt = check.Claims!.ExpiresAt;
        session.ChatTokenWarned = false;
        return Ok(request);
    }

    /// <summary>A connection ended: its chat login ends, and its room memberships enter the grace period.</summary>
    public void OnSessionClosed(ClientSession session)
    {
        if (session.ChatUserId is not { } user) return;
        _users.Remove(session.AppId, user, session);
        long now = NowMs;
        foreach (var room in _rooms.All)
        {
            if (room.AppId == session.AppId && room.Members.TryGetValue(user, out var m) && ReferenceEquals(m.Session, session))
                room.Members.TryUpdate(user, m with { Session = null, DisconnectedAtMs = now }, m);
        }
    }

    /// <summary>Periodic work: token warnings and expiry, and removal of room members gone past the grace period.</summary>
    public void RunMaintenance()
    {
        long nowMs = NowMs, nowS = nowMs / 1000;
        foreach (var (_, session) in _users.All)
        {
            long left = session.ChatTokenExpiresAt - nowS;
            if (left <= 0 && session.ChatUserId is not null)
            {
                session.Send(new Frame { Op = Ops.ChatKickedOut, ErrorCode = ChatErrorCodes.TokenExpired, Error = "the token expired and was not renewed" });
                OnSessionClosed(session);
                session.ChatUserId = null;
            }
            else if (left <= (long)_options.TokenWillExpireNotice.TotalSeconds && !session.ChatTokenWarned)
            {
                session.ChatTokenWarned = true;
                session.Send(new Frame { Op = Ops.ChatTokenWillExpire, SecondsLeft = (int)left });
            }
        }
        long graceMs = (long)_options.ChatRoomMemberGracePeriod.TotalMilliseconds;
        foreach (var room in _rooms.All)
        {
            foreach (var (user, m) in room.Members)
                if (m.Session is null && nowMs - m.DisconnectedAtMs >= graceMs) RemoveRoomMember(room, user, m);
        }
    }

    // ---- sending --------------------------------------------------------------------------

    private async Task<Frame> SendAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        var message = request.Message;
        if (message is null) return Error(request, ChatErrorCodes.BadParameter, "message is missing");
        if (!ChatLimits.IsValidConversationId(convId, type)) return Error(request, ChatErrorCodes.BadParameter, ConversationIdRule(type));
        if (type == ConversationType.Peer && convId == user) return Error(request, ChatErrorCodes.BadParameter, "a peer message needs another user");
        if (ValidateMessage(message, type) is { } problem) return Error(request, ChatErrorCodes.BadParameter, problem);
        if (message.Type != ChatMessageType.Barrage && session.ChatSendLimit?.TryAcquire(_time.GetUtcNow()) == false)
            return Error(request, ChatErrorCodes.RateLimitServer, $"at most {_options.ChatSendsPerSecond} messages per second per user");

        var (code, error, sent) = await DeliverAsync(session.AppId, user, type, convId, message, cancellationToken);
        if (code != 0)
        {
            if (code is ChatErrorCodes.NoPermission or ChatErrorCodes.NotInRoom) Log.AccessRefused(_logger, session.AppId, user, request.Op ?? "", type, convId);
            return Error(request, code, error!);
        }
        var result = Ok(request);
        result.Message = sent;
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
    public async Task<(int Code, string? Error, WireChatMessage? Message)> DeliverAsync(uint appId, string sender, ConversationType type, string convId,
        WireChatMessage message, CancellationToken cancellationToken, bool trusted = false)
    {
        bool stored = message.Type is ChatMessageType.Text or ChatMessageType.Custom;
        IReadOnlyList<string> recipients;
        ChatRoom? room = null;
        switch (type)
        {
            case ConversationType.Group:
                // A member's send needs one read (the member list); the group's existence is read only to name a refusal.
                recipients = await _store.GetGroupMembersAsync(appId, convId, cancellationToken);
                if (trusted ? recipients.Count == 0 : !recipients.Contains(sender))
                {
                    if (await _store.GetGroupAsync(appId, convId, cancellationToken) is null) return (ChatErrorCodes.GroupMissing, "the group does not exist", null);
                    if (!trusted) return (ChatErrorCodes.NoPermission, "only members may send to a group", null);
                }
                break;
            case ConversationType.Room:
                room = _rooms.Find(appId, convId);
                if (room is null) return (ChatErrorCodes.RoomMissing, "the room does not exist", null);
                if (!trusted && !room.Members.ContainsKey(sender)) return (ChatErrorCodes.NotInRoom, "only members may send to a room", null);
                if (message.HasReceipt == true) return (ChatErrorCodes.BadParameter, "room messages have no receipts", null);
                recipients = room.Members.Keys.ToArray();
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
            if (append.Duplicate) return (0, null, wire); // delivered the first time; receivers catch up by sequence
        }
        else
        {
            wire = new WireChatMessage
            {
                MessageId = _ids.Next(), LocalMessageId = message.LocalMessageId, SenderUserId = sender, ConversationId = convId, ConversationType = type,
                Timestamp = NowMs, Type = message.Type, Text = message.Text, Data = message.Data, SubType = message.SubType,
                SearchedContent = message.SearchedContent, ExtendedData = message.ExtendedData, Priority = message.Priority ?? 2,
                MentionedUserIds = message.MentionedUserIds,
            };
            if (room is not null)
            {
                // Sequence assignment and fan-out under one lock: room members see the room in order.
                var (kept, _) = room.Append(wire, stored ? _options.ChatRoomHistoryCount : -1, _options.ChatRoomHistoryAge, m => EnqueueRoom(room, sender, m));
                return (0, null, kept);
            }
            foreach (var user in recipients)
                if (user != sender) _users.Find(appId, user)?.Queue.Enqueue(EncodedFrame.From(new Frame { Op = Ops.ChatMessage, Message = PeerView(wire, user, sender) }), reliable: false);
            return (0, null, wire);
        }

        // Conversation and unread notifications follow; they are informational and need not be ordered.
        await NotifyConversationChangedAsync(appId, sender, recipients, record, cancellationToken);
        return (0, null, wire);
    }

    /// <summary>
    /// After a stored send: each online recipient gets its conversation changed event (with the new message as the last
    /// one) and, except the sender and where muted, its new unread total. One store read serves every recipient.
    /// </summary>
    private async Task NotifyConversationChangedAsync(uint appId, string sender, IReadOnlyList<string> recipients, StoredMessage record, CancellationToken cancellationToken)
    {
        List<string>? online = null;
        foreach (var user in recipients)
            if (_users.Find(appId, user) is not null) (online ??= []).Add(user);
        if (online is null) return;
        var states = await _store.GetConversationStatesAsync(appId, online, record.ConversationType, record.ConversationKey, cancellationToken);
        foreach (var state in states)
        {
            var session = _users.Find(appId, state.UserId);
            if (session is null) continue;
            // the message just committed is the newest one (a later one sends its own notification)
            var conversation = state.Conversation with
            {
                MaxSeq = Math.Max(state.Conversation.MaxSeq, record.Seq),
                LastMessage = record.Seq > state.Conversation.ClearedSeq ? record : null,
            };
            session.Send(new Frame { Op = Ops.ConversationChanged, Conversation = ChatWire.ToWire(conversation, state.UserId) });
            if (state.UserId != sender && !conversation.Muted)
                session.Send(new Frame { Op = Ops.UnreadTotalChanged, UnreadTotal = state.UnreadTotal });
        }
    }

    private void EnqueueLive(uint appId, string sender, ConversationType type, StoredMessage committed, IReadOnlyList<string> recipients)
    {
        EncodedFrame? shared = null;
        foreach (var user in recipients)
        {
            if (user == sender) continue;
            var session = _users.Find(appId, user);
            if (session is null) continue;
            if (type == ConversationType.Group)
            {
                // One encoding for the whole group (the receivers' view is the same for all of them).
                shared ??= EncodedFrame.From(new Frame { Op = Ops.ChatMessage, Message = ChatWire.ToWire(committed, viewer: "") });
                session.Queue.Enqueue(shared.Value, reliable: true);
            }
            else session.Queue.Enqueue(EncodedFrame.From(new Frame { Op = Ops.ChatMessage, Message = ChatWire.ToWire(committed, user) }), reliable: true);
        }
    }

    private void EnqueueRoom(ChatRoom room, string sender, WireChatMessage message)
    {
        bool reliable = message.Type is not (ChatMessageType.Command or ChatMessageType.Barrage);
        var view = PeerView(message, viewer: "", sender);
        view.ConversationId = message.ConversationId;
        view.ConversationSeq = message.ConversationSeq;
        view.OrderKey = message.OrderKey;
        var bytes = EncodedFrame.From(new Frame { Op = Ops.ChatMessage, Message = view }); // once for the whole room
        foreach (var m in room.Members.Values)
            if (m.UserId != sender) m.Session?.Queue.Enqueue(bytes, reliable);
    }

    private static WireChatMessage PeerView(WireChatMessage m, string viewer, string sender) => new()
    {
        MessageId = m.MessageId, SenderUserId = m.SenderUserId, ConversationId = viewer == sender ? m.ConversationId : sender, ConversationType = m.ConversationType,
        Timestamp = m.Timestamp, Type = m.Type, Text = m.Text, Data = m.Data, SubType = m.SubType, SearchedContent = m.SearchedContent,
        ExtendedData = m.ExtendedData, Priority = m.Priority, MentionedUserIds = m.MentionedUserIds,
    };

    /// <summary>Sends a user its conversation changed event and, if asked, the total unread count.</summary>
    private async Task NotifyConversationAsync(ClientSession session, uint appId, string user, ConversationType type, string key, bool unreadToo, CancellationToken cancellationToken)
    {
        var conversation = await _store.GetConversationAsync(appId, user, type, key, cancellationToken);
        if (conversation is null) return;
        session.Send(new Frame { Op = Ops.ConversationChanged, Conversation = ChatWire.ToWire(conversation, user) });
        if (unreadToo && !conversation.Muted)
            session.Send(new Frame { Op = Ops.UnreadTotalChanged, UnreadTotal = await _store.GetUnreadTotalAsync(appId, user, cancellationToken) });
    }

    /// <summary>Checks a message's content against the limits (<see cref="ChatLimits.ValidateMessage"/>, which the SDK shares); returns what is wrong, or null.</summary>
    public string? ValidateMessage(WireChatMessage m, ConversationType type) => ChatLimits.ValidateMessage(m, type, _options.ChatMaxTextBytes);

    /// <summary>Whether a user has a chat connection on this node.</summary>
    public bool IsOnline(uint appId, string userId) => _users.Find(appId, userId) is not null;

    // ---- history and conversations --------------------------------------------------------------

    private async Task<Frame> QueryHistoryAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        int count = request.Count ?? 20;
        if (!ChatLimits.IsValidConversationId(convId, type)) return Error(request, ChatErrorCodes.BadParameter, ConversationIdRule(type));
        if (count is < 1 or > ChatLimits.MaxHistoryCount) return Error(request, ChatErrorCodes.BadParameter, "count must be 1-100");
        bool forward = request.Reverse == true;
        var result = Ok(request);
        if (type == ConversationType.Room)
        {
            var room = _rooms.Find(session.AppId, convId);
            if (room is null) return Error(request, ChatErrorCodes.RoomMissing, "the room does not exist");
            if (!room.Members.ContainsKey(user))
            {
                Log.AccessRefused(_logger, session.AppId, user, request.Op ?? "", type, convId);
                return Error(request, ChatErrorCodes.NotInRoom, "only members may read a room");
            }
            result.Messages = [.. room.Query(request.NextSeq, count, forward, NowMs, _options.ChatRoomHistoryAge)];
            return result;
        }
        // A former member reads what was sent up to its leave point (the store cuts it there), and gets an empty page after it.
        if (await CheckGroupAccessAsync(session.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused) return refused;
        var messages = await _store.QueryHistoryAsync(session.AppId, user, type, ChatWire.KeyFor(type, convId, user), request.NextSeq, count, forward, cancellationToken);
        result.Messages = [.. messages.Select(m => ChatWire.ToWire(m, user))];
        return result;
    }

    private async Task<Frame> DeleteMessagesAsync(ClientSession session, string user, Frame request, bool all, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if (type == ConversationType.Room || !ChatLimits.IsValidConversationId(convId, type))
            return Error(request, ChatErrorCodes.BadParameter, "a peer or group conversation is required");
        if (await CheckGroupAccessAsync(session.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused) return refused;
        string key = ChatWire.KeyFor(type, convId, user);
        if (all) await _store.DeleteAllMessagesAsync(session.AppId, user, type, key, cancellationToken);
        else
        {
            if (request.MessageIds is not { Length: > 0 and <= ChatLimits.MaxHistoryCount } ids) return Error(request, ChatErrorCodes.BadParameter, "messageIds must hold 1-100 ids");
            await _store.DeleteMessagesAsync(session.AppId, user, type, key, ids, cancellationToken);
        }
        await NotifyConversationAsync(session, session.AppId, user, type, key, unreadToo: all, cancellationToken);
        return Ok(request);
    }

    private async Task<Frame> RevokeAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        if (request.MessageIds is not [long messageId]) return Error(request, ChatErrorCodes.BadParameter, "messageIds must hold the one message to revoke");
        var original = await _store.GetMessageAsync(session.AppId, messageId, cancellationToken);
        if (original is null) return Error(request, ChatErrorCodes.TargetMissing, "no such message");
        if (original.SenderUserId != user) return Error(request, ChatErrorCodes.NoPermission, "only the sender may revoke a message");
        if (original.ConversationType == ConversationType.Group
            && await CheckGroupAccessAsync(session.AppId, user, request, ConversationType.Group, original.ConversationKey, needMember: true, cancellationToken) is { } refused)
            return refused;
        var revoked = await _store.RevokeAsync(session.AppId, messageId, cancellationToken);
        if (revoked is null) return Error(request, ChatErrorCodes.TargetMissing, "no such message");
        IReadOnlyList<string> audience = revoked.ConversationType == ConversationType.Group
            ? await _store.GetGroupMembersAsync(session.AppId, revoked.ConversationKey, cancellationToken)
            : [ConversationKeys.PeerOf(revoked.ConversationKey, user), user];
        foreach (var u in audience)
            _users.Find(session.AppId, u)?.Send(new Frame { Op = Ops.MessageRevoked, Message = ChatWire.ToWire(revoked, u) });
        var result = Ok(request);
        result.Message = ChatWire.ToWire(revoked, user);
        return result;
    }

    private async Task<Frame> SendReceiptsReadAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if (type == ConversationType.Room || !ChatLimits.IsValidConversationId(convId, type)) return Error(request, ChatErrorCodes.BadParameter, "a peer or group conversation is required");
        if (request.MessageIds is not { Length: > 0 and <= ChatLimits.MaxReceiptMessages } ids) return Error(request, ChatErrorCodes.BadParameter, "messageIds must hold 1-10 ids");
        if (await CheckGroupAccessAsync(session.AppId, user, request, type, convId, needMember: true, cancellationToken) is { } refused) return refused;
        string key = ChatWire.KeyFor(type, convId, user);
        var mine = new List<long>();
        foreach (long id in ids)
        {
            var m = await _store.GetMessageAsync(session.AppId, id, cancellationToken);
            // Only receipts of others' messages in this conversation can be sent.
            if (m is not null && m.ConversationType == type && m.ConversationKey == key && m.SenderUserId != user) mine.Add(id);
        }
        var changed = await _store.MarkReceiptsReadAsync(session.AppId, mine, cancellationToken);
        foreach (var group in changed.GroupBy(m => m.SenderUserId))
        {
            _users.Find(session.AppId, group.Key)?.Send(new Frame
            {
                Op = Ops.ReceiptChanged, ConvType = type, ConvId = ChatWire.ConversationIdFor(type, key, group.Key),
                MessageIds = [.. group.Select(m => m.MessageId)], FromUserId = user,
            });
        }
        var result = Ok(request);
        result.MessageIds = [.. changed.Select(m => m.MessageId)];
        return result;
    }

    private async Task<Frame> QueryConversationsAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        int count = request.Count ?? 100;
        if (count is < 1 or > ChatLimits.MaxHistoryCount) return Error(request, ChatErrorCodes.BadParameter, "count must be 1-100");
        var list = await _store.QueryConversationsAsync(session.AppId, user, count, cancellationToken);
        var result = Ok(request);
        result.Conversations = [.. list.Select(c => ChatWire.ToWire(c, user))];
        result.UnreadTotal = await _store.GetUnreadTotalAsync(session.AppId, user, cancellationToken);
        return result;
    }

    private async Task<Frame> UpdateConversationAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        var type = request.ConvType ?? ConversationType.Peer;
        string convId = request.ConvId ?? "";
        if (type == ConversationType.Room || !ChatLimits.IsValidConversationId(convId, type)) return Error(request, ChatErrorCodes.BadParameter, "a peer or group conversation is required");
        // Checked before the write: a refused call creates no conversation entry.
        if (await CheckGroupAccessAsync(session.AppId, user, request, type, convId, needMember: false, cancellationToken) is { } refused) return refused;
        string key = ChatWire.KeyFor(type, convId, user);
        switch (request.Op)
        {
            case Ops.ClearUnread: await _store.MarkReadAsync(session.AppId, user, type, key, null, cancellationToken); break;
            case Ops.DeleteConversation: await _store.HideConversationAsync(session.AppId, user, type, key, cancellationToken); break;
            case Ops.SetNotificationStatus: await _store.SetMutedAsync(session.AppId, user, type, key, request.Muted == true, cancellationToken); break;
            default: await _store.SetPinnedAsync(session.AppId, user, type, key, request.Pinned == true, cancellationToken); break;
        }
        if (request.Op != Ops.DeleteConversation) await NotifyConversationAsync(session, session.AppId, user, type, key, unreadToo: false, cancellationToken);
        session.Send(new Frame { Op = Ops.UnreadTotalChanged, UnreadTotal = await _store.GetUnreadTotalAsync(session.AppId, user, cancellationToken) });
        return Ok(request);
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
        Log.AccessRefused(_logger, app, user, request.Op ?? "", type, groupId);
        return access.Group is null && !access.MayRead
            ? Error(request, ChatErrorCodes.GroupMissing, "the group does not exist")
            : Error(request, ChatErrorCodes.NoPermission, access.MayRead ? "no longer a member of this group" : "not a member of this group");
    }

    // ---- groups -------------------------------------------------------------------------

    private async Task<Frame> GroupAsync(ClientSession session, string user, Frame request, CancellationToken cancellationToken)
    {
        uint app = session.AppId;
        string groupId = request.ConvId ?? "";
        if (!ChatLimits.IsValidId(groupId, ChatLimits.MaxGroupIdBytes)) return Error(request, ChatErrorCodes.BadParameter, ConversationIdRule(ConversationType.Group));
        var members = request.Members ?? [];
        if (members.Any(m => RoomLimits.ValidateUserId(m) != 0)) return Error(request, ChatErrorCodes.BadParameter, "every member must be a UserId of 1-64 bytes");

        if (request.Op == Ops.CreateGroup)
        {
            string name = request.Name ?? "";
            if (Encoding.UTF8.GetByteCount(name) > ChatLimits.MaxNameBytes) return Error(request, ChatErrorCodes.BadParameter, "group name is longer than 64 bytes");
            var created = await _store.CreateGroupAsync(app, groupId, name, user, members, _options.ChatMaxGroupMembers, _options.ChatMaxGroupsPerUser, cancellationToken);
            if (created == GroupChange.OwnerLimit) Log.CapReached(_logger, app, user, request.Op ?? "", _options.ChatMaxGroupsPerUser);
            if (created != GroupChange.Done) return GroupError(request, created);
            await NotifyMembersAsync(app, groupId, "add", [user, .. members], cancellationToken);
            return await GroupInfoResultAsync(request, app, groupId, cancellationToken);
        }

        // One read: the group and the caller's membership, checked by every operation below as it runs.
        var access = await _store.GetGroupAccessAsync(app, groupId, user, cancellationToken);
        if (access.Group is not { } group) return Error(request, ChatErrorCodes.GroupMissing, "the group does not exist");
        bool isMember = access.IsMember, isOwner = isMember && group.OwnerUserId == user;
        if (!isMember && request.Op != Ops.JoinGroup) Log.AccessRefused(_logger, app, user, request.Op ?? "", ConversationType.Group, groupId);
        switch (request.Op)
        {
            case Ops.JoinGroup:
            {
                var r = await _store.AddGroupMembersAsync(app, groupId, [user], _options.ChatMaxGroupMembers, cancellationToken);
                if (r != GroupChange.Done) return GroupError(request, r);
                if (!isMember) await NotifyMembersAsync(app, groupId, "add", [user], cancellationToken);
                return await GroupInfoResultAsync(request, app, groupId, cancellationToken);
            }
            case Ops.LeaveGroup:
                if (!isMember) return Error(request, ChatErrorCodes.NoPermission, "not a member of this group");
                await NotifyMembersAsync(app, groupId, "delete", [user], cancellationToken);
                await _store.RemoveGroupMembersAsync(app, groupId, [user], cancellationToken);
                return Ok(request);
            case Ops.DismissGroup:
                if (!isOwner) return Error(request, ChatErrorCodes.NoPermission, "only the owner may dismiss the group");
                await NotifyMembersAsync(app, groupId, "dismiss", [], cancellationToken);
                await _store.DismissGroupAsync(app, groupId, cancellationToken);
                return Ok(request);
            case Ops.InviteGroupMembers:
            {
                if (!isMember) return Error(request, ChatErrorCodes.NoPermission, "only members may invite");
                if (members.Length == 0) return Error(request, ChatErrorCodes.BadParameter, "members is empty");
                var before = (await _store.GetGroupMembersAsync(app, groupId, cancellationToken)).ToHashSet(StringComparer.Ordinal);
                var r = await _store.AddGroupMembersAsync(app, groupId, members, _options.ChatMaxGroupMembers, cancellationToken);
                if (r != GroupChange.Done) return GroupError(request, r);
                await NotifyMembersAsync(app, groupId, "add", [.. members.Where(m => !before.Contains(m)).Distinct()], cancellationToken);
                return await GroupInfoResultAsync(request, app, groupId, cancellationToken);
            }
            case Ops.KickGroupMembers:
                if (!isOwner) return Error(request, ChatErrorCodes.NoPermission, "only the owner may kick members");
                if (members.Length == 0 || members.Contains(user)) return Error(request, ChatErrorCodes.BadParameter, "members must name others to kick");
                await NotifyMembersAsync(app, groupId, "delete", members, cancellationToken);
                await _store.RemoveGroupMembersAsync(app, groupId, members, cancellationToken);
                return Ok(request);
            case Ops.QueryGroupMembers:
            {
                if (!isMember) return Error(request, ChatErrorCodes.NoPermission, "not a member of this group");
                var result = Ok(request);
                result.Members = [.. await _store.GetGroupMembersAsync(app, groupId, cancellationToken)];
                return result;
            }
            default:
            {
                // Members only, as ZIM's group-info guide requires joining first (zegocloud.com/docs/zim-*/guides/group/group-info);
                // anyone may still join an open group, whose answer carries the info.
                if (!isMember) return Error(request, ChatErrorCodes.NoPermission, "not a member of this group");
                var result = Ok(request);
                result.Group = ToWire(group);
                return result;
            }
        }
    }

    private async Task<Frame> GroupInfoResultAsync(Frame request, uint app, string groupId, CancellationToken cancellationToken)
    {
        var g = await _store.GetGroupAsync(app, groupId, cancellationToken);
        var result = Ok(request);
        if (g is not null) result.Group = ToWire(g);
        return result;
    }

    private static WireGroup ToWire(StoredGroup g) =>
        new() { GroupId = g.GroupId, GroupName = g.Name, OwnerUserId = g.OwnerUserId, CreateTime = g.CreateTime, MemberCount = g.MemberCount };

    private async Task NotifyMembersAsync(uint app, string groupId, string updateType, string[] changed, CancellationToken cancellationToken)
    {
        var everyone = (await _store.GetGroupMembersAsync(app, groupId, cancellationToken)).Union(changed, StringComparer.Ordinal);
        var bytes = EncodedFrame.From(new Frame { Op = Ops.GroupMemberChanged, ConvId = groupId, ConvType = ConversationType.Group, UpdateType = updateType, Members = changed });
        foreach (var u in everyone) _users.Find(app, u)?.Queue.Enqueue(bytes, reliable: true);
    }

    private static Frame GroupError(Frame request, GroupChange change) => change switch
    {
        GroupChange.Missing => Error(request, ChatErrorCodes.GroupMissing, "the group does not exist"),
        GroupChange.Exists => Error(request, ChatErrorCodes.GroupExists, "the group exists already"),
        GroupChange.Dismissed => Error(request, ChatErrorCodes.GroupDismissed, "this group ID belonged to a dismissed group; use another ID"),
        GroupChange.OwnerLimit => Error(request, ChatErrorCodes.GroupCreateFailed, "this user owns as many groups as allowed"),
        _ => Error(request, ChatErrorCodes.GroupFull, "the group is full"),
    };

    // ---- rooms --------------------------------------------------------------------------

    private Frame Room(ClientSession session, string user, Frame request)
    {
        string roomId = request.ConvId ?? "";
        if (!ChatLimits.IsValidId(roomId, ChatLimits.MaxRoomIdBytes)) return Error(request, ChatErrorCodes.BadParameter, ConversationIdRule(ConversationType.Room));
        string name = request.Name ?? "";
        if (Encoding.UTF8.GetByteCount(name) > ChatLimits.MaxNameBytes) return Error(request, ChatErrorCodes.BadParameter, "room name is longer than 64 bytes");
        switch (request.Op)
        {
            case Ops.CreateRoom:
            case Ops.EnterRoom:
            case Ops.JoinRoom:
            {
                while (true)
                {
                    // Creation caps: rooms per user (checked first, so that a refusal leaves no empty room behind), then rooms per app.
                    if (_rooms.Find(session.AppId, roomId) is not { } present || !present.Members.ContainsKey(user))
                    {
                        if (_rooms.CountRoomsOf(session.AppId, user) >= _options.ChatMaxRoomsPerUser)
                        {
                            Log.CapReached(_logger, session.AppId, user, request.Op ?? "", _options.ChatMaxRoomsPerUser);
                            return Error(request, ChatErrorCodes.JoinedRoomCountLimit, $"this user is in {_options.ChatMaxRoomsPerUser} chat rooms, the most allowed");
                        }
                    }
                    ChatRoom room;
                    if (request.Op == Ops.JoinRoom)
                    {
                        room = _rooms.Find(session.AppId, roomId)!;
                        if (room is null) return Error(request, ChatErrorCodes.JoinRoomMissing, "no such room to join");
                    }
                    else
                    {
                        var (r, added) = _rooms.GetOrAdd(session.AppId, roomId, () => new ChatRoom(session.AppId, roomId, name, NowMs), _options.ChatMaxRoomsPerApp);
                        if (r is null)
                        {
                            Log.CapReached(_logger, session.AppId, user, request.Op ?? "", _options.ChatMaxRoomsPerApp);
                            return Error(request, ChatErrorCodes.RoomCountLimit, "the app has as many chat rooms as allowed");
                        }
                        if (!added && request.Op == Ops.CreateRoom) return Error(request, ChatErrorCodes.RoomExists, "the room exists already");
                        room = r;
                    }
                    lock (room.Gate)
                    {
                        if (room.IsClosed) continue;
                        if (!room.Members.ContainsKey(user) && room.Members.Count >= _options.ChatMaxRoomMembers)
                            return Error(request, ChatErrorCodes.BadParameter, "the room is full");
                        room.Members[user] = new ChatRoomMember(user, session, 0);
                    }
                    var result = Ok(request);
                    result.Name = room.Name;
                    result.Count = room.Members.Count;
                    result.NextSeq = room.CurrentSeq;
                    return result;
                }
            }
            case Ops.LeaveRoom:
            {
                var room = _rooms.Find(session.AppId, roomId);
                if (room is null) return Error(request, ChatErrorCodes.RoomMissing, "the room does not exist");
                if (!room.Members.TryGetValue(user, out var m)) return Error(request, ChatErrorCodes.NotInRoom, "not in this room");
                RemoveRoomMember(room, user, m);
                return Ok(request);
            }
            default:
            {
                var room = _rooms.Find(session.AppId, roomId);
                if (room is null) return Error(request, ChatErrorCodes.RoomMissing, "the room does not exist");
                if (!room.Members.ContainsKey(user)) return Error(request, ChatErrorCodes.NotInRoom, "not in this room");
                var result = Ok(request);
                result.Members = [.. room.Members.Keys.Order(StringComparer.Ordinal)];
                return result;
            }
        }
    }

    private void RemoveRoomMember(ChatRoom room, string user, ChatRoomMember member)
    {
        lock (room.Gate)
        {
            if (!room.Members.TryRemove(new KeyValuePair<string, ChatRoomMember>(user, member))) return;
            if (room.Members.IsEmpty)
            {
                room.IsClosed = true;
                _rooms.Remove(room);
            }
        }
    }

    private static string ConversationIdRule(ConversationType type) => type switch
    {
        ConversationType.Peer => "a peer conversation ID is a UserId of 1-64 bytes",
        ConversationType.Group => "a group ID is 1-32 bytes of letters, digits and !#$%&()+-:;<=.>?@[]^_{}|~",
        ConversationType.Room => "a room ID is 1-128 bytes of letters, digits and !#$%&()+-:;<=.>?@[]^_{}|~",
        _ => "conversation type must be 0 (peer), 1 (room) or 2 (group)",
    };

    private static Frame Ok(Frame request) => new() { Op = Ops.Result, Rid = request.Rid, ErrorCode = 0 };

    private static Frame Error(Frame request, int code, string message) => new() { Op = Ops.Result, Rid = request.Rid, ErrorCode = code, Error = message };

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Information, "App {AppId}: chat login of {UserId} refused: {Reason}")]
        public static partial void LoginRefused(ILogger logger, uint appId, string userId, string reason);

        [LoggerMessage(5003, LogLevel.Information, "App {AppId}: {Op} from {UserId} refused: no access to {Type} {ConversationId}")]
        public static partial void AccessRefused(ILogger logger, uint appId, string userId, string op, ConversationType type, string conversationId);

        [LoggerMessage(5004, LogLevel.Warning, "App {AppId}: {Op} from {UserId} refused: a creation cap ({Cap}) is reached")]
        public static partial void CapReached(ILogger logger, uint appId, string userId, string op, int cap);

        [LoggerMessage(5002, LogLevel.Error, "Chat {Op} failed in the store: {Reason}")]
        public static partial void StoreFailed(ILogger logger, string op, string reason);
    }
}
