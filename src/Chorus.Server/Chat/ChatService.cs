namespace Chorus.Server.Chat;

/// <summary>
/// In-app chat's lifecycle work (its requests reach their handlers through the op table: <see cref="ChatSessionOps"/>,
/// <see cref="ChatMessageOps"/>, <see cref="ChatConversationOps"/>, <see cref="ChatGroupOps"/>, <see cref="ChatRoomOps"/>):
/// a connection that ends ends its chat login, and the periodic token and chat-room checks.
/// </summary>
public sealed class ChatService : IConnectionObserver, IPeriodicWork
{
    private readonly ChatSessions _sessions;
    private readonly ChatRooms _rooms;

    /// <summary>Creates the service.</summary>
    public ChatService(ChatSessions sessions, ChatRooms rooms)
    {
        _sessions = sessions;
        _rooms = rooms;
    }

    /// <summary>A connection ended: its chat login ends, and its room memberships enter the grace period.</summary>
    public void OnSessionClosed(IClientConnection connection) => _sessions.OnConnectionClosed(connection);

    /// <inheritdoc />
    ValueTask IConnectionObserver.OnConnectionClosedAsync(IClientConnection connection, ConnectionEndReason reason)
    {
        OnSessionClosed(connection);
        return ValueTask.CompletedTask;
    }

    /// <summary>Periodic work: token warnings and expiry, and removal of room members gone past the grace period.</summary>
    public void RunMaintenance()
    {
        _sessions.CheckTokens();
        _rooms.RemoveMembersPastGrace();
    }

    /// <inheritdoc />
    ValueTask IPeriodicWork.RunAsync(DateTimeOffset now)
    {
        RunMaintenance();
        return ValueTask.CompletedTask;
    }
}
