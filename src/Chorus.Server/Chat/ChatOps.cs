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
    public static CallerRequirement<Frame, ChatCaller> LoggedIn(ChatSessions sessions) => new(LoggedInName,
        "logged into chat over this connection (6000121 otherwise)",
        (IClientConnection connection, Frame _, long? rid, out ChatCaller caller, out EncodedFrame refusal) =>
        {
            if (sessions.Find(connection) is { UserId: { } user } login)
            {
                caller = new ChatCaller(login, user);
                refusal = default;
                return true;
            }
            caller = default;
            refusal = EncodedFrame.From(new Frame { Op = Ops.Result, Rid = rid, ErrorCode = ChatErrorCodes.NotLoggedIn, Error = "chat login required" });
            return false;
        });

    /// <summary>
    /// Registers a chat op: a store failure (or a store used after it was disposed) is answered with one retryable
    /// refusal (6000001) and logged, whatever the op.
    /// </summary>
    public static void AddChat<TCaller>(this OpRegistryBuilder ops, string op, string feature, CallerRequirement<Frame, TCaller> caller, string checks, RateClass rate,
        ILogger logger, Func<TCaller, Frame, CancellationToken, Task<Frame>> handler) =>
        ops.Add(op, feature, caller, checks, rate, ProtocolJsonContext.Default.Frame, Frame.WireTypeInfo, async (c, request, cancellationToken) =>
        {
            try
            {
                return await handler(c, request, cancellationToken);
            }
            catch (Exception ex) when (ex is ChatStoreException or ObjectDisposedException)
            {
                ChatLog.StoreFailed(logger, request.Op ?? "", ex.Message);
                return ChatReply.Error(request, ChatErrorCodes.BadParameter, "the server could not store this; retry with the same localMessageId");
            }
        });
}

/// <summary>Chat logins' part of the op table: <c>chatLogin</c>, <c>chatLogout</c>, <c>chatRenewToken</c>.</summary>
public sealed class ChatSessionOps(ChatSessions sessions, ILogger<ChatSessionOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        var loggedIn = ChatCallers.LoggedIn(sessions);
        ops.AddChat(Ops.ChatLogin, Feature, AnyConnection.For<Frame>(), "the Token04 for this user; one user per connection", RateClass.Login, logger,
            (connection, f, ct) => sessions.LoginAsync(connection, f, ct));
        ops.AddChat(Ops.ChatLogout, Feature, loggedIn, "", RateClass.Frame, logger, (c, f, _) => Task.FromResult(sessions.Logout(c.Login, f)));
        ops.AddChat(Ops.ChatRenewToken, Feature, loggedIn, "the Token04 for the logged-in user", RateClass.Frame, logger,
            (c, f, _) => sessions.RenewTokenAsync(c.Login, c.UserId, f));
    }
}

/// <summary>Chat messages' part of the op table: send, history, delete, revoke, read receipts.</summary>
public sealed class ChatMessageOps(ChatSessions sessions, ChatDelivery delivery, ChatConversations conversations, ILogger<ChatMessageOps> logger) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "chat.messages";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        var loggedIn = ChatCallers.LoggedIn(sessions);
        const string member = "peer: one's own conversation; group: a member (6000541; 6000523 no group); room: in the room (6000321; 6000301 no room)";
        const string reader = "peer: one's own conversation; group: a member or a former one up to its leave point (6000541); room: in the room (6000321)";
        ops.AddChat(Ops.SendMessage, Feature, loggedIn, member, RateClass.Frame, logger, (c, f, ct) => delivery.SendAsync(c.Login, c.UserId, f, ct));
        ops.AddChat(Ops.QueryHistory, Feature, loggedIn, reader, RateClass.Frame, logger, (c, f, ct) => conversations.QueryHistoryAsync(c.Connection, c.UserId, f, ct));
        ops.AddChat(Ops.DeleteMessages, Feature, loggedIn, "peer or group conversation of its own (a former member's view too)", RateClass.Frame, logger,
            (c, f, ct) => conversations.DeleteMessagesAsync(c.Connection, c.UserId, f, all: false, ct));
        ops.AddChat(Ops.DeleteAllMessages, Feature, loggedIn, "peer or group conversation of its own (a former member's view too)", RateClass.Frame, logger,
            (c, f, ct) => conversations.DeleteMessagesAsync(c.Connection, c.UserId, f, all: true, ct));
        ops.AddChat(Ops.RevokeMessage, Feature, loggedIn, "the message's sender (6000541); in a group, still a member", RateClass.Frame, logger,
            (c, f, ct) => conversations.RevokeAsync(c.Connection, c.UserId, f, ct));
        ops.AddChat(Ops.SendReceiptsRead, Feature, loggedIn, "peer: one's own conversation; group: a member (6000541); only others' messages", RateClass.Frame, logger,
            (c, f, ct) => conversations.SendReceiptsReadAsync(c.Connection, c.UserId, f, ct));
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
        var loggedIn = ChatCallers.LoggedIn(sessions);
        const string own = "one's own view of a peer or group conversation (group: a member or a former one, 6000541 otherwise)";
        ops.AddChat(Ops.QueryConversations, Feature, loggedIn, "only the caller's own list", RateClass.Frame, logger,
            (c, f, ct) => conversations.QueryConversationsAsync(c.Connection, c.UserId, f, ct));
        foreach (string op in new[] { Ops.ClearUnread, Ops.DeleteConversation, Ops.SetNotificationStatus, Ops.PinConversation })
            ops.AddChat(op, Feature, loggedIn, own, RateClass.Frame, logger, (c, f, ct) => conversations.UpdateConversationAsync(c.Connection, c.UserId, f, ct));
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
        var loggedIn = ChatCallers.LoggedIn(sessions);
        (string Op, string Checks)[] groupOps =
        [
            (Ops.CreateGroup, "anyone (caps: groups owned, creates per hour); the ID not taken nor dismissed"),
            (Ops.JoinGroup, "anyone, except a user the owner kicked (6000541) until invited back"),
            (Ops.LeaveGroup, "a member (6000541)"),
            (Ops.DismissGroup, "the owner, while a member (6000541)"),
            (Ops.InviteGroupMembers, "a member (6000541)"),
            (Ops.KickGroupMembers, "the owner, while a member (6000541)"),
            (Ops.QueryGroupInfo, "a member (6000541)"),
            (Ops.QueryGroupMembers, "a member (6000541)"),
        ];
        foreach (var (op, checks) in groupOps)
            ops.AddChat(op, Feature, loggedIn, checks, RateClass.Frame, logger, (c, f, ct) => groups.HandleAsync(c.Connection, c.UserId, f, ct));
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
        var loggedIn = ChatCallers.LoggedIn(sessions);
        (string Op, string Checks)[] roomOps =
        [
            (Ops.CreateRoom, "anyone (caps: rooms per user, rooms per app); the ID not taken"),
            (Ops.EnterRoom, "anyone (caps: rooms per user, rooms per app)"),
            (Ops.JoinRoom, "anyone (cap: rooms per user); the room exists"),
            (Ops.LeaveRoom, "in the room (6000321)"),
            (Ops.QueryRoomMembers, "in the room (6000321)"),
        ];
        foreach (var (op, checks) in roomOps)
            ops.AddChat(op, Feature, loggedIn, checks, RateClass.Frame, logger, async (c, f, _) => await rooms.HandleAsync(c.Login, c.UserId, f));
    }
}
