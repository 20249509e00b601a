using Chorus.Protocol;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>
/// In-app chat (ZIM-style), as the gateway sees it: turns chat requests into calls on the parts that own them
/// (<see cref="ChatSessions"/> logins and tokens, <see cref="ChatDelivery"/> sending, <see cref="ChatConversations"/>
/// history and conversations, <see cref="ChatGroups"/> groups, <see cref="ChatRooms"/> chat rooms), answers a store
/// failure with one retryable refusal, and runs chat's periodic work.
/// </summary>
public sealed class ChatService
{
    private readonly ChatSessions _sessions;
    private readonly ChatDelivery _delivery;
    private readonly ChatConversations _conversations;
    private readonly ChatGroups _groups;
    private readonly ChatRooms _rooms;
    private readonly ILogger<ChatService> _logger;

    /// <summary>Creates the service.</summary>
    public ChatService(ChatSessions sessions, ChatDelivery delivery, ChatConversations conversations, ChatGroups groups, ChatRooms rooms, ILogger<ChatService> logger)
    {
        _sessions = sessions;
        _delivery = delivery;
        _conversations = conversations;
        _groups = groups;
        _rooms = rooms;
        _logger = logger;
    }

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
    public async Task<Frame> HandleAsync(IClientConnection connection, Frame request, CancellationToken cancellationToken)
    {
        try
        {
            if (request.Op == Ops.ChatLogin) return await _sessions.LoginAsync(connection, request, cancellationToken);
            if (_sessions.Find(connection) is not { UserId: { } user } login) return ChatReply.Error(request, ChatErrorCodes.NotLoggedIn, "chat login required");
            return request.Op switch
            {
                Ops.ChatLogout => _sessions.Logout(login, request),
                Ops.ChatRenewToken => await _sessions.RenewTokenAsync(login, user, request),
                Ops.SendMessage => await _delivery.SendAsync(login, user, request, cancellationToken),
                Ops.QueryHistory => await _conversations.QueryHistoryAsync(connection, user, request, cancellationToken),
                Ops.DeleteMessages => await _conversations.DeleteMessagesAsync(connection, user, request, all: false, cancellationToken),
                Ops.DeleteAllMessages => await _conversations.DeleteMessagesAsync(connection, user, request, all: true, cancellationToken),
                Ops.RevokeMessage => await _conversations.RevokeAsync(connection, user, request, cancellationToken),
                Ops.SendReceiptsRead => await _conversations.SendReceiptsReadAsync(connection, user, request, cancellationToken),
                Ops.QueryConversations => await _conversations.QueryConversationsAsync(connection, user, request, cancellationToken),
                Ops.ClearUnread or Ops.DeleteConversation or Ops.SetNotificationStatus or Ops.PinConversation =>
                    await _conversations.UpdateConversationAsync(connection, user, request, cancellationToken),
                Ops.CreateGroup or Ops.JoinGroup or Ops.LeaveGroup or Ops.DismissGroup or Ops.InviteGroupMembers or Ops.KickGroupMembers
                    or Ops.QueryGroupInfo or Ops.QueryGroupMembers => await _groups.HandleAsync(connection, user, request, cancellationToken),
                _ => await _rooms.HandleAsync(login, user, request),
            };
        }
        catch (Exception ex) when (ex is ChatStoreException or ObjectDisposedException)
        {
            ChatLog.StoreFailed(_logger, request.Op ?? "", ex.Message);
            return ChatReply.Error(request, ChatErrorCodes.BadParameter, "the server could not store this; retry with the same localMessageId");
        }
    }

    /// <summary>A connection ended: its chat login ends, and its room memberships enter the grace period.</summary>
    public void OnSessionClosed(IClientConnection connection) => _sessions.OnConnectionClosed(connection);

    /// <summary>Periodic work: token warnings and expiry, and removal of room members gone past the grace period.</summary>
    public void RunMaintenance()
    {
        _sessions.CheckTokens();
        _rooms.RemoveMembersPastGrace();
    }
}
