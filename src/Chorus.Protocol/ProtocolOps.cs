using System.Collections.Frozen;
using System.Text.Json.Serialization.Metadata;

namespace Chorus.Protocol;

/// <summary>
/// The table of protocol version 1: for each client → server op its name, request record and result record; for each
/// server → client event its name and record. A request and an event may share a name (<c>customCommand</c>,
/// <c>broadcast</c>, <c>barrage</c>): requests and events are separate tables.
/// </summary>
public static class ProtocolOps
{
    /// <summary><c>ping</c> request: Heartbeat; answered with pong. Answered with <see cref="PongResult"/>.</summary>
    public static readonly RequestOp<PingRequest, PongResult> Ping = new(Ops.Ping);
    /// <summary><c>login</c> request: Log into a room. Answered with <see cref="LoginResult"/>.</summary>
    public static readonly RequestOp<LoginRequest, LoginResult> Login = new(Ops.Login);
    /// <summary><c>logout</c> request: Log out of a room. Answered with <see cref="RoomResult"/>.</summary>
    public static readonly RequestOp<LogoutRequest, RoomResult> Logout = new(Ops.Logout);
    /// <summary><c>renewToken</c> request: Replace the token of a room login. Answered with <see cref="RoomResult"/>.</summary>
    public static readonly RequestOp<RenewTokenRequest, RoomResult> RenewToken = new(Ops.RenewToken);
    /// <summary><c>customCommand</c> request: Send a custom command. Answered with <see cref="RoomResult"/>.</summary>
    public static readonly RequestOp<CustomCommandRequest, RoomResult> CustomCommand = new(Ops.CustomCommand);
    /// <summary><c>broadcast</c> request: Send a broadcast message. Answered with <see cref="BroadcastResult"/>.</summary>
    public static readonly RequestOp<BroadcastRequest, BroadcastResult> Broadcast = new(Ops.Broadcast);
    /// <summary><c>barrage</c> request: Send a barrage message. Answered with <see cref="BarrageResult"/>.</summary>
    public static readonly RequestOp<BarrageRequest, BarrageResult> Barrage = new(Ops.Barrage);
    /// <summary><c>setExtraInfo</c> request: Set a room extra info key. Answered with <see cref="RoomResult"/>.</summary>
    public static readonly RequestOp<SetExtraInfoRequest, RoomResult> SetExtraInfo = new(Ops.SetExtraInfo);
    /// <summary><c>chatLogin</c> request: Chat login. Answered with <see cref="ChatLoginResult"/>.</summary>
    public static readonly RequestOp<ChatLoginRequest, ChatLoginResult> ChatLogin = new(Ops.ChatLogin);
    /// <summary><c>chatLogout</c> request: Chat logout. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<ChatLogoutRequest, EmptyResult> ChatLogout = new(Ops.ChatLogout);
    /// <summary><c>chatRenewToken</c> request: Replace the chat token. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<ChatRenewTokenRequest, EmptyResult> ChatRenewToken = new(Ops.ChatRenewToken);
    /// <summary><c>sendMessage</c> request: Send a chat message. Answered with <see cref="SendMessageResult"/>.</summary>
    public static readonly RequestOp<SendMessageRequest, SendMessageResult> SendMessage = new(Ops.SendMessage);
    /// <summary><c>queryHistory</c> request: Query a conversation's history. Answered with <see cref="QueryHistoryResult"/>.</summary>
    public static readonly RequestOp<QueryHistoryRequest, QueryHistoryResult> QueryHistory = new(Ops.QueryHistory);
    /// <summary><c>deleteMessages</c> request: Delete messages for this user. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<DeleteMessagesRequest, EmptyResult> DeleteMessages = new(Ops.DeleteMessages);
    /// <summary><c>deleteAllMessages</c> request: Delete every message of a conversation for this user. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<DeleteAllMessagesRequest, EmptyResult> DeleteAllMessages = new(Ops.DeleteAllMessages);
    /// <summary><c>revokeMessage</c> request: Revoke one's own message. Answered with <see cref="RevokeMessageResult"/>.</summary>
    public static readonly RequestOp<RevokeMessageRequest, RevokeMessageResult> RevokeMessage = new(Ops.RevokeMessage);
    /// <summary><c>sendReceiptsRead</c> request: Mark messages as read for their senders' receipts. Answered with <see cref="SendReceiptsReadResult"/>.</summary>
    public static readonly RequestOp<SendReceiptsReadRequest, SendReceiptsReadResult> SendReceiptsRead = new(Ops.SendReceiptsRead);
    /// <summary><c>queryConversations</c> request: The user's conversations. Answered with <see cref="QueryConversationsResult"/>.</summary>
    public static readonly RequestOp<QueryConversationsRequest, QueryConversationsResult> QueryConversations = new(Ops.QueryConversations);
    /// <summary><c>clearUnread</c> request: Clear a conversation's unread count. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<ClearUnreadRequest, EmptyResult> ClearUnread = new(Ops.ClearUnread);
    /// <summary><c>deleteConversation</c> request: Delete a conversation from the user's list. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<DeleteConversationRequest, EmptyResult> DeleteConversation = new(Ops.DeleteConversation);
    /// <summary><c>setNotificationStatus</c> request: Mute or unmute a conversation. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<SetNotificationStatusRequest, EmptyResult> SetNotificationStatus = new(Ops.SetNotificationStatus);
    /// <summary><c>pinConversation</c> request: Pin or unpin a conversation. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<PinConversationRequest, EmptyResult> PinConversation = new(Ops.PinConversation);
    /// <summary><c>createGroup</c> request: Create a group. Answered with <see cref="CreateGroupResult"/>.</summary>
    public static readonly RequestOp<CreateGroupRequest, CreateGroupResult> CreateGroup = new(Ops.CreateGroup);
    /// <summary><c>joinGroup</c> request: Join a group. Answered with <see cref="JoinGroupResult"/>.</summary>
    public static readonly RequestOp<JoinGroupRequest, JoinGroupResult> JoinGroup = new(Ops.JoinGroup);
    /// <summary><c>leaveGroup</c> request: Leave a group. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<LeaveGroupRequest, EmptyResult> LeaveGroup = new(Ops.LeaveGroup);
    /// <summary><c>dismissGroup</c> request: Dismiss a group. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<DismissGroupRequest, EmptyResult> DismissGroup = new(Ops.DismissGroup);
    /// <summary><c>inviteGroupMembers</c> request: Invite users into a group. Answered with <see cref="InviteGroupMembersResult"/>.</summary>
    public static readonly RequestOp<InviteGroupMembersRequest, InviteGroupMembersResult> InviteGroupMembers = new(Ops.InviteGroupMembers);
    /// <summary><c>kickGroupMembers</c> request: Kick users out of a group. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<KickGroupMembersRequest, EmptyResult> KickGroupMembers = new(Ops.KickGroupMembers);
    /// <summary><c>queryGroupInfo</c> request: A group's information. Answered with <see cref="QueryGroupInfoResult"/>.</summary>
    public static readonly RequestOp<QueryGroupInfoRequest, QueryGroupInfoResult> QueryGroupInfo = new(Ops.QueryGroupInfo);
    /// <summary><c>queryGroupMembers</c> request: A group's members. Answered with <see cref="QueryGroupMembersResult"/>.</summary>
    public static readonly RequestOp<QueryGroupMembersRequest, QueryGroupMembersResult> QueryGroupMembers = new(Ops.QueryGroupMembers);
    /// <summary><c>createRoom</c> request: Create a chat room. Answered with <see cref="CreateRoomResult"/>.</summary>
    public static readonly RequestOp<CreateRoomRequest, CreateRoomResult> CreateRoom = new(Ops.CreateRoom);
    /// <summary><c>enterRoom</c> request: Enter a chat room, creating it if missing. Answered with <see cref="EnterRoomResult"/>.</summary>
    public static readonly RequestOp<EnterRoomRequest, EnterRoomResult> EnterRoom = new(Ops.EnterRoom);
    /// <summary><c>joinRoom</c> request: Join an existing chat room. Answered with <see cref="JoinRoomResult"/>.</summary>
    public static readonly RequestOp<JoinRoomRequest, JoinRoomResult> JoinRoom = new(Ops.JoinRoom);
    /// <summary><c>leaveRoom</c> request: Leave a chat room. Answered with <see cref="EmptyResult"/>.</summary>
    public static readonly RequestOp<LeaveRoomRequest, EmptyResult> LeaveRoom = new(Ops.LeaveRoom);
    /// <summary><c>queryRoomMembers</c> request: A chat room's members. Answered with <see cref="QueryRoomMembersResult"/>.</summary>
    public static readonly RequestOp<QueryRoomMembersRequest, QueryRoomMembersResult> QueryRoomMembers = new(Ops.QueryRoomMembers);
    /// <summary>Event: First frame on a connection.</summary>
    public static readonly EventOp<HelloEvent> HelloEvent = new(Ops.Hello);
    /// <summary>Event: A protocol error not tied to a request.</summary>
    public static readonly EventOp<ErrorEvent> ErrorEvent = new(Ops.Error);
    /// <summary>Event: A custom command received (the request of the same name is CustomCommand).</summary>
    public static readonly EventOp<CustomCommandEvent> CustomCommandEvent = new(Ops.CustomCommand);
    /// <summary>Event: A broadcast message received (the request of the same name is Broadcast).</summary>
    public static readonly EventOp<BroadcastEvent> BroadcastEvent = new(Ops.Broadcast);
    /// <summary>Event: A barrage message received (the request of the same name is Barrage).</summary>
    public static readonly EventOp<BarrageEvent> BarrageEvent = new(Ops.Barrage);
    /// <summary>Event: Room users joined or left.</summary>
    public static readonly EventOp<UserUpdateEvent> UserUpdateEvent = new(Ops.UserUpdate);
    /// <summary>Event: The room's online count.</summary>
    public static readonly EventOp<OnlineCountEvent> OnlineCountEvent = new(Ops.OnlineCount);
    /// <summary>Event: Room state changed by the server.</summary>
    public static readonly EventOp<RoomStateEvent> RoomStateEvent = new(Ops.RoomState);
    /// <summary>Event: The room token expires soon.</summary>
    public static readonly EventOp<TokenWillExpireEvent> TokenWillExpireEvent = new(Ops.TokenWillExpire);
    /// <summary>Event: Room extra info changed.</summary>
    public static readonly EventOp<ExtraInfoEvent> ExtraInfoEvent = new(Ops.ExtraInfo);
    /// <summary>Event: A chat message arrived.</summary>
    public static readonly EventOp<ChatMessageEvent> ChatMessageEvent = new(Ops.ChatMessage);
    /// <summary>Event: A conversation changed.</summary>
    public static readonly EventOp<ConversationChangedEvent> ConversationChangedEvent = new(Ops.ConversationChanged);
    /// <summary>Event: The total unread count changed.</summary>
    public static readonly EventOp<UnreadTotalEvent> UnreadTotalEvent = new(Ops.UnreadTotalChanged);
    /// <summary>Event: Read receipts changed.</summary>
    public static readonly EventOp<ReceiptChangedEvent> ReceiptChangedEvent = new(Ops.ReceiptChanged);
    /// <summary>Event: A message was revoked.</summary>
    public static readonly EventOp<MessageRevokedEvent> MessageRevokedEvent = new(Ops.MessageRevoked);
    /// <summary>Event: Chat was logged out by the server.</summary>
    public static readonly EventOp<ChatKickedOutEvent> ChatKickedOutEvent = new(Ops.ChatKickedOut);
    /// <summary>Event: The chat token expires soon.</summary>
    public static readonly EventOp<ChatTokenWillExpireEvent> ChatTokenWillExpireEvent = new(Ops.ChatTokenWillExpire);
    /// <summary>Event: Group membership changed.</summary>
    public static readonly EventOp<GroupMemberChangedEvent> GroupMemberChangedEvent = new(Ops.GroupMemberChanged);

    /// <summary>Every client → server op, in the order of docs/protocol.md.</summary>
    public static IReadOnlyList<RequestOp> Requests { get; } =
    [
        Ping, Login, Logout, RenewToken, CustomCommand, Broadcast, Barrage, SetExtraInfo, ChatLogin, ChatLogout, ChatRenewToken, SendMessage, QueryHistory, DeleteMessages, DeleteAllMessages, RevokeMessage, SendReceiptsRead, QueryConversations, ClearUnread, DeleteConversation, SetNotificationStatus, PinConversation, CreateGroup, JoinGroup, LeaveGroup, DismissGroup, InviteGroupMembers, KickGroupMembers, QueryGroupInfo, QueryGroupMembers, CreateRoom, EnterRoom, JoinRoom, LeaveRoom, QueryRoomMembers,
    ];

    /// <summary>Every server → client event (results excepted: they are decoded by their request's <see cref="RequestOp.ResultType"/>).</summary>
    public static IReadOnlyList<EventOp> Events { get; } =
    [
        HelloEvent, ErrorEvent, CustomCommandEvent, BroadcastEvent, BarrageEvent, UserUpdateEvent, OnlineCountEvent, RoomStateEvent, TokenWillExpireEvent, ExtraInfoEvent, ChatMessageEvent, ConversationChangedEvent, UnreadTotalEvent, ReceiptChangedEvent, MessageRevokedEvent, ChatKickedOutEvent, ChatTokenWillExpireEvent, GroupMemberChangedEvent,
    ];

    private static readonly FrozenDictionary<string, RequestOp> s_requests = Requests.ToFrozenDictionary(o => o.Name, StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, EventOp> s_events = Events.ToFrozenDictionary(o => o.Name, StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, RequestOp>.AlternateLookup<ReadOnlySpan<char>> s_requestsBySpan = s_requests.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly FrozenDictionary<string, EventOp>.AlternateLookup<ReadOnlySpan<char>> s_eventsBySpan = s_events.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The request op named <paramref name="op"/>, or null.</summary>
    /// <param name="op">The op name.</param>
    public static RequestOp? FindRequest(ReadOnlySpan<char> op) => s_requestsBySpan.TryGetValue(op, out var found) ? found : null;

    /// <summary>The event named <paramref name="op"/>, or null.</summary>
    /// <param name="op">The event name.</param>
    public static EventOp? FindEvent(ReadOnlySpan<char> op) => s_eventsBySpan.TryGetValue(op, out var found) ? found : null;

    /// <summary>
    /// Reads a client's request: finds its top-level <c>op</c>, then reads the op's request record from the same bytes.
    /// </summary>
    /// <param name="utf8">The frame's JSON.</param>
    /// <param name="op">The op found in the table; null when the frame names no op or one not in the table.</param>
    /// <returns>The request; null when the op is unknown (then <paramref name="op"/> is null too) or the frame is not a JSON object of the op's shape.</returns>
    public static ProtocolRequest? TryReadRequest(ReadOnlySpan<byte> utf8, out RequestOp? op)
    {
        Span<char> name = stackalloc char[MaxOpLength];
        op = ProtocolJson.TryReadOp(utf8, out var found, name) ? FindRequest(found) : null;
        return op?.TryReadRequest(utf8);
    }

    /// <summary>
    /// Reads a server's event (not a <c>result</c> or <c>pong</c>: those are read by the request's
    /// <see cref="RequestOp.TryReadResult"/>).
    /// </summary>
    /// <param name="utf8">The frame's JSON.</param>
    /// <param name="op">The event found in the table; null when the frame names no event in the table.</param>
    /// <returns>The event; null when unknown or not a JSON object of the event's shape.</returns>
    public static ProtocolEvent? TryReadEvent(ReadOnlySpan<byte> utf8, out EventOp? op)
    {
        Span<char> name = stackalloc char[MaxOpLength];
        op = ProtocolJson.TryReadOp(utf8, out var found, name) ? FindEvent(found) : null;
        return op?.TryRead(utf8);
    }

    /// <summary>The longest op name looked up (longer ones are unknown without a look-up).</summary>
    public const int MaxOpLength = 64;
}

/// <summary>One client → server op of <see cref="ProtocolOps"/>: its name and the records of its request and result.</summary>
public abstract class RequestOp
{
    private protected RequestOp(string name) => Name = name;

    /// <summary>The op name (the request's <c>op</c>).</summary>
    public string Name { get; }

    /// <summary>The request record's wire metadata.</summary>
    public abstract JsonTypeInfo RequestType { get; }

    /// <summary>The result record's wire metadata.</summary>
    public abstract JsonTypeInfo ResultType { get; }

    /// <summary>The <c>op</c> of the answer: <c>result</c>, or <c>pong</c> for <c>ping</c>.</summary>
    public abstract string ResultName { get; }

    /// <summary>Reads this op's request record; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public abstract ProtocolRequest? TryReadRequest(ReadOnlySpan<byte> utf8);

    /// <summary>Reads this op's result record; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public abstract ProtocolResult? TryReadResult(ReadOnlySpan<byte> utf8);

    /// <summary>An empty result of this op's result record answering <paramref name="rid"/> with <paramref name="errorCode"/> (and <paramref name="error"/>).</summary>
    /// <param name="rid">The request's id.</param>
    /// <param name="errorCode">The code (0 = success).</param>
    /// <param name="error">The text of a refusal.</param>
    public abstract ProtocolResult CreateResult(long? rid, int errorCode = 0, string? error = null);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A client → server op with its typed request and result records.</summary>
/// <typeparam name="TRequest">The request record.</typeparam>
/// <typeparam name="TResult">The result record.</typeparam>
public sealed class RequestOp<TRequest, TResult> : RequestOp
    where TRequest : ProtocolRequest
    where TResult : ProtocolResult, new()
{
    internal RequestOp(string name) : base(name) { }

    /// <summary>The request record's wire metadata.</summary>
    public JsonTypeInfo<TRequest> Request => ProtocolJson.TypeInfo<TRequest>();

    /// <summary>The result record's wire metadata.</summary>
    public JsonTypeInfo<TResult> Result => ProtocolJson.TypeInfo<TResult>();

    /// <inheritdoc/>
    public override JsonTypeInfo RequestType => Request;

    /// <inheritdoc/>
    public override JsonTypeInfo ResultType => Result;

    /// <inheritdoc/>
    public override string ResultName { get; } = new TResult().Op;

    /// <summary>Reads this op's request; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public TRequest? Read(ReadOnlySpan<byte> utf8) => ProtocolJson.TryRead(utf8, Request);

    /// <summary>Reads this op's result; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public TResult? ReadResult(ReadOnlySpan<byte> utf8) => ProtocolJson.TryRead(utf8, Result);

    /// <inheritdoc/>
    public override ProtocolRequest? TryReadRequest(ReadOnlySpan<byte> utf8) => Read(utf8);

    /// <inheritdoc/>
    public override ProtocolResult? TryReadResult(ReadOnlySpan<byte> utf8) => ReadResult(utf8);

    /// <summary>The success answering <paramref name="request"/> (its rid, errorCode 0); the caller fills in the result's fields.</summary>
    /// <param name="request">The request answered.</param>
    public TResult Success(TRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new TResult { Rid = request.Rid, ErrorCode = 0 };
    }

    /// <summary>The refusal of <paramref name="request"/>: its rid, <paramref name="errorCode"/> and <paramref name="error"/>.</summary>
    /// <param name="request">The request refused.</param>
    /// <param name="errorCode">The code.</param>
    /// <param name="error">Why.</param>
    public TResult Refusal(TRequest request, int errorCode, string error)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new TResult { Rid = request.Rid, ErrorCode = errorCode, Error = error };
    }

    /// <inheritdoc/>
    public override ProtocolResult CreateResult(long? rid, int errorCode = 0, string? error = null) => new TResult { Rid = rid, ErrorCode = errorCode, Error = error };
}

/// <summary>One server → client event of <see cref="ProtocolOps"/>: its name and record.</summary>
public abstract class EventOp
{
    private protected EventOp(string name) => Name = name;

    /// <summary>The event name (its <c>op</c>).</summary>
    public string Name { get; }

    /// <summary>The event record's wire metadata.</summary>
    public abstract JsonTypeInfo EventType { get; }

    /// <summary>Reads this event's record; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public abstract ProtocolEvent? TryRead(ReadOnlySpan<byte> utf8);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A server → client event with its typed record.</summary>
/// <typeparam name="TEvent">The event record.</typeparam>
public sealed class EventOp<TEvent> : EventOp where TEvent : ProtocolEvent
{
    internal EventOp(string name) : base(name) { }

    /// <summary>The event record's wire metadata.</summary>
    public JsonTypeInfo<TEvent> Event => ProtocolJson.TypeInfo<TEvent>();

    /// <inheritdoc/>
    public override JsonTypeInfo EventType => Event;

    /// <summary>Reads this event; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public TEvent? Read(ReadOnlySpan<byte> utf8) => ProtocolJson.TryRead(utf8, Event);

    /// <inheritdoc/>
    public override ProtocolEvent? TryRead(ReadOnlySpan<byte> utf8) => Read(utf8);
}
