using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>A caller logged into chat: its login and the user it was logged in as when the request arrived.</summary>
/// <param name="Login">The connection's chat login.</param>
/// <param name="UserId">The chat user.</param>
public readonly record struct ChatCaller(ChatConnectionState Login, string UserId)
{
    /// <summary>The caller's connection.</summary>
    public IClientConnection Connection => Login.Connection;
}

/// <summary>What chat ops require of their caller, and how chat handlers are registered.</summary>
public static class ChatCallers
{
    /// <summary>The requirement's name.</summary>
    public const string LoggedInName = "chat login";

    /// <summary>Logged into chat over this connection (6000121 otherwise); the handler gets the login.</summary>
    /// <typeparam name="TRequest">The requests it checks.</typeparam>
    public static CallerRequirement<TRequest, ChatCaller> LoggedIn<TRequest>(ChatSessions sessions) where TRequest : ProtocolRequest => new(LoggedInName,
        "logged into chat over this connection (6000121 otherwise)",
        (IClientConnection connection, TRequest _, long? rid, out ChatCaller caller, out EncodedFrame refusal) =>
        {
            if (sessions.Find(connection) is { UserId: { } user } login)
            {
                caller = new ChatCaller(login, user);
                refusal = default;
                return true;
            }
            caller = default;
            refusal = EncodedFrame.FromPayload(ProtocolJson.ToUtf8Bytes(new EmptyResult { Rid = rid, ErrorCode = ChatErrorCodes.NotLoggedIn, Error = "chat login required" }));
            return false;
        });

    /// <summary>
    /// Registers a chat op with its request and result records: a store failure (or a store used after it was disposed)
    /// is answered with one retryable refusal (6000001) and logged, whatever the op.
    /// </summary>
    public static void AddChat<TRequest, TCaller, TResult>(this OpRegistryBuilder ops, RequestOp<TRequest, TResult> op, string feature,
        CallerRequirement<TRequest, TCaller> caller, string checks, RateClass rate, ILogger logger, Func<TCaller, TRequest, CancellationToken, Task<TResult>> handler)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new() =>
        ops.Add(op.Name, feature, caller, checks, rate, op.Request, op.Result, async (c, request, cancellationToken) =>
        {
            try
            {
                return await handler(c, request, cancellationToken);
            }
            catch (Exception ex) when (ex is ChatStoreException or ObjectDisposedException)
            {
                ChatLog.StoreFailed(logger, op.Name, ex.Message);
                return ChatReply.Error<TResult>(request, ChatErrorCodes.BadParameter, "the server could not store this; retry with the same localMessageId");
            }
        });

    /// <summary>Registers a chat op whose caller must be logged into chat (<see cref="LoggedIn{TRequest}"/>); see <see cref="AddChat{TRequest, TCaller, TResult}"/>.</summary>
    public static void AddLoggedIn<TRequest, TResult>(this OpRegistryBuilder ops, RequestOp<TRequest, TResult> op, string feature, ChatSessions sessions,
        string checks, ILogger logger, Func<ChatCaller, TRequest, CancellationToken, Task<TResult>> handler)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new() =>
        ops.AddChat(op, feature, LoggedIn<TRequest>(sessions), checks, RateClass.Frame, logger, handler);
}

/// <summary>Chat logins' part of the op table: <c>chatLogin</c>, <c>chatLogout</c>, <c>chatRenewToken</c>.</summary>
public sealed class ChatSessionOps(ChatSessions sessions, ILogger<ChatSessionOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        ops.AddChat(ProtocolOps.ChatLogin, Feature, AnyConnection.For<ChatLoginRequest>(), "the Token04 for this user; one user per connection", RateClass.Login, logger,
            (connection, r, ct) => sessions.LoginAsync(connection, r, ct));
        ops.AddLoggedIn(ProtocolOps.ChatLogout, Feature, sessions, "", logger, (c, r, _) => Task.FromResult(sessions.Logout(c.Login, r)));
        ops.AddLoggedIn(ProtocolOps.ChatRenewToken, Feature, sessions, "the Token04 for the logged-in user", logger,
            (c, r, _) => sessions.RenewTokenAsync(c.Login, c.UserId, r));
    }
}

/// <summary>Chat messages' part of the op table: send, history, delete, revoke, read receipts.</summary>
public sealed class ChatMessageOps(ChatSessions sessions, ChatDelivery delivery, ChatMessages messages, ILogger<ChatMessageOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat.messages";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        const string member = "peer: one's own conversation; group: a member (6000541; 6000523 no group); room: in the room (6000321; 6000301 no room)";
        const string reader = "peer: one's own conversation; group: a member or a former one up to its leave point (6000541); room: in the room (6000321)";
        const string ownView = "peer or group conversation of its own (a former member's view too)";
        ops.AddLoggedIn(ProtocolOps.SendMessage, Feature, sessions, member, logger, (c, r, ct) => delivery.SendAsync(c.Login, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.QueryHistory, Feature, sessions, reader, logger, (c, r, ct) => messages.QueryHistoryAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.DeleteMessages, Feature, sessions, ownView, logger, (c, r, ct) => messages.DeleteMessagesAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.DeleteAllMessages, Feature, sessions, ownView, logger, (c, r, ct) => messages.DeleteAllMessagesAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.RevokeMessage, Feature, sessions, "the message's sender (6000541); in a group, still a member", logger,
            (c, r, ct) => messages.RevokeAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.SendReceiptsRead, Feature, sessions, "peer: one's own conversation; group: a member (6000541); only others' messages", logger,
            (c, r, ct) => messages.SendReceiptsReadAsync(c.Connection, c.UserId, r, ct));
    }
}

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

/// <summary>Groups' part of the op table.</summary>
public sealed class ChatGroupOps(ChatSessions sessions, ChatGroups groups, ILogger<ChatGroupOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat.groups";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        ops.AddLoggedIn(ProtocolOps.CreateGroup, Feature, sessions, "anyone (caps: groups owned, creates per hour); the ID not taken nor dismissed", logger,
            (c, r, ct) => groups.CreateAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.JoinGroup, Feature, sessions, "anyone, except a user the owner kicked (6000541) until invited back", logger,
            (c, r, ct) => groups.JoinAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.LeaveGroup, Feature, sessions, "a member (6000541)", logger, (c, r, ct) => groups.LeaveAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.DismissGroup, Feature, sessions, "the owner, while a member (6000541)", logger, (c, r, ct) => groups.DismissAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.InviteGroupMembers, Feature, sessions, "a member (6000541)", logger, (c, r, ct) => groups.InviteAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.KickGroupMembers, Feature, sessions, "the owner, while a member (6000541)", logger, (c, r, ct) => groups.KickAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.QueryGroupInfo, Feature, sessions, "a member (6000541)", logger, (c, r, ct) => groups.InfoAsync(c.Connection, c.UserId, r, ct));
        ops.AddLoggedIn(ProtocolOps.QueryGroupMembers, Feature, sessions, "a member (6000541)", logger, (c, r, ct) => groups.MembersAsync(c.Connection, c.UserId, r, ct));
    }
}

/// <summary>Chat rooms' part of the op table.</summary>
public sealed class ChatRoomOps(ChatSessions sessions, ChatRooms rooms, ILogger<ChatRoomOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat.rooms";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        ops.AddLoggedIn(ProtocolOps.CreateRoom, Feature, sessions, "anyone (caps: rooms per user, rooms per app); the ID not taken", logger,
            async (c, r, _) => await rooms.EnterAsync<CreateRoomResult>(c.Login, c.UserId, r, ChatRoomEntry.Create, r.ConvId, r.Name));
        ops.AddLoggedIn(ProtocolOps.EnterRoom, Feature, sessions, "anyone (caps: rooms per user, rooms per app)", logger,
            async (c, r, _) => await rooms.EnterAsync<EnterRoomResult>(c.Login, c.UserId, r, ChatRoomEntry.Enter, r.ConvId, r.Name));
        ops.AddLoggedIn(ProtocolOps.JoinRoom, Feature, sessions, "anyone (cap: rooms per user); the room exists", logger,
            async (c, r, _) => await rooms.EnterAsync<JoinRoomResult>(c.Login, c.UserId, r, ChatRoomEntry.Join, r.ConvId, r.Name));
        ops.AddLoggedIn(ProtocolOps.LeaveRoom, Feature, sessions, "in the room (6000321)", logger, async (c, r, _) => await rooms.LeaveAsync(c.Login, c.UserId, r));
        ops.AddLoggedIn(ProtocolOps.QueryRoomMembers, Feature, sessions, "in the room (6000321)", logger, async (c, r, _) => await rooms.MembersAsync(c.Login, c.UserId, r));
    }
}
