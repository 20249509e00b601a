using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Chat logins and their tokens: login (one connection per user: a new login kicks the earlier one), logout, token
/// renewal, the token-will-expire notice and the logout of an expired token. The login state of each connection
/// (<see cref="ChatConnectionState"/>) is kept here, keyed by connection.
/// </summary>
public sealed class ChatSessions
{
    private readonly ConnectionStateMap<ChatConnectionState> _states = new();
    private readonly IChatStore _store;
    private readonly IChatPresence _users;
    private readonly ChatRooms _rooms;
    private readonly TokenValidator _tokens;
    private readonly ChatOptions _options;
    private readonly AuthOptions _auth;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    public ChatSessions(IChatStore store, IChatPresence users, ChatRooms rooms, TokenValidator tokens, IOptions<ChatOptions> options, IOptions<AuthOptions> auth, TimeProvider time)
    {
        _store = store;
        _users = users;
        _rooms = rooms;
        _tokens = tokens;
        _options = options.Value;
        _auth = auth.Value;
        _time = time;
    }

    /// <summary>The chat login of <paramref name="connection"/>, or null when it has none (or it ended).</summary>
    public ChatConnectionState? Find(IClientConnection connection) =>
        _states.TryGet(connection, out var state) && state.UserId is not null ? state : null;

    /// <summary>Logs a connection into chat (<c>chatLogin</c>).</summary>
    public async Task<ChatLoginResult> LoginAsync(IClientConnection connection, ChatLoginRequest request, CancellationToken cancellationToken)
    {
        string userId = request.UserId ?? "";
        if (ChatValidator.Login(userId, request.UserName) is { } invalid) return ChatReply.Error<ChatLoginResult>(request, invalid);
        if (connection.UserId is not null && connection.UserId != userId)
            return ChatReply.Error<ChatLoginResult>(request, ChatErrorCodes.LoginFailed, "this connection is logged into rooms as another user");
        if (Find(connection)?.UserId is { } current && current != userId)
            return ChatReply.Error<ChatLoginResult>(request, ChatErrorCodes.LoginFailed, "this connection is logged into chat as another user");
        var check = await _tokens.CheckAsync(connection.AppId, connection.RemoteAddress, request.Token, userId, null, TokenUse.ChatLogin);
        if (check.Outcome != TokenOutcome.Valid) return ChatReply.Error<ChatLoginResult>(request, TokenRefusal(check.Outcome));

        var state = _states.GetOrAdd(connection, c => new ChatConnectionState(c));
        if (state.UserId != userId) state.SendLimit = new SlidingWindowLimiter(_options.ChatSendsPerSecond, TimeSpan.FromSeconds(1));
        state.UserId = userId;
        state.TokenExpiresAt = check.Claims!.ExpiresAt;
        state.TokenWarned = false;
        // One device per user: an earlier login on another node is ended and told there.
        ChatConnectionState? previous;
        try
        {
            previous = await _users.SetAsync(connection.AppId, userId, state);
        }
        catch
        {
            state.UserId = null; // not logged in: the refusal leaves nothing behind
            throw;
        }
        if (previous is not null)
        {
            // One device per user: the earlier login is told and logged out. The user stays in her chat rooms (membership
            // is per user, as in ZIM): the memberships move to this connection, so the earlier one gets no more room messages.
            previous.UserId = null;
            _rooms.MoveMemberships(connection.AppId, userId, previous, state);
            previous.Connection.Send(ChatEvents.Encode(ChatPresenceEvents.Replaced()), Delivery.Reliable);
        }
        await _rooms.Directory.OnLoginAsync(state, userId);
        var result = ChatReply.Ok<ChatLoginResult>(request);
        result.UnreadTotal = await _store.GetUnreadTotalAsync(connection.AppId, userId, cancellationToken);
        return result;
    }

    /// <summary>The one answer for each refused token outcome (the same texts as room logins; the reason is logged only).</summary>
    private static ChatError TokenRefusal(TokenOutcome outcome) => outcome switch
    {
        TokenOutcome.Expired => new(ChatErrorCodes.TokenExpired, TokenRefusalMessages.Expired),
        TokenOutcome.Throttled => new(RoomErrorCodes.TooManyLoginAttempts, TokenRefusalMessages.Throttled),
        _ => new(ChatErrorCodes.TokenInvalid, TokenRefusalMessages.Invalid),
    };

    /// <summary>Logs the connection out of chat (<c>chatLogout</c>).</summary>
    public EmptyResult Logout(ChatConnectionState login, ChatLogoutRequest request)
    {
        End(login);
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>Replaces the token of the logged-in <paramref name="user"/> (<c>chatRenewToken</c>).</summary>
    public async Task<EmptyResult> RenewTokenAsync(ChatConnectionState login, string user, ChatRenewTokenRequest request)
    {
        var connection = login.Connection;
        var check = await _tokens.CheckAsync(connection.AppId, connection.RemoteAddress, request.Token, user, null, TokenUse.ChatRenew);
        if (check.Outcome != TokenOutcome.Valid) return ChatReply.Error<EmptyResult>(request, TokenRefusal(check.Outcome));
        login.TokenExpiresAt = check.Claims!.ExpiresAt;
        login.TokenWarned = false;
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>A connection ended: its chat login ends, and its room memberships enter the grace period.</summary>
    public void OnConnectionClosed(IClientConnection connection)
    {
        if (_states.TryRemove(connection, out var state)) End(state);
    }

    /// <summary>Ends a login: the user is no longer online here, and its room memberships enter the grace period.</summary>
    private void End(ChatConnectionState login)
    {
        if (login.UserId is not { } user) return;
        bool current = _users.Remove(login.Connection.AppId, user, login);
        login.UserId = null;
        if (current) _rooms.OnDisconnected(login, user);
    }

    /// <summary>
    /// Periodic work: a login whose token has expired is told (<c>chatKickedOut</c>, 6000106) and logged out; one whose
    /// token has at most <see cref="AuthOptions.TokenWillExpireNotice"/> left is told once (<c>chatTokenWillExpire</c>).
    /// </summary>
    public void CheckTokens()
    {
        long nowS = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000;
        foreach (var login in _users.LocalLogins)
        {
            long left = login.TokenExpiresAt - nowS;
            if (left <= 0 && login.UserId is not null)
            {
                login.Connection.Send(ChatEvents.Encode(new ChatKickedOutEvent { ErrorCode = ChatErrorCodes.TokenExpired, Error = "the token expired and was not renewed" }), Delivery.Reliable);
                End(login);
            }
            else if (left <= (long)_auth.TokenWillExpireNotice.TotalSeconds && !login.TokenWarned)
            {
                login.TokenWarned = true;
                login.Connection.Send(ChatEvents.Encode(new ChatTokenWillExpireEvent { SecondsLeft = (int)left }), Delivery.Reliable);
            }
        }
    }

    /// <summary>Whether a user has a chat login on any node.</summary>
    public ValueTask<bool> IsOnlineAsync(uint appId, string userId) => _users.IsOnlineAsync(appId, userId);
}
