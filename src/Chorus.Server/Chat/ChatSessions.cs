using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Gateway;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Chat logins and their tokens: login (one connection per user: a new login kicks the earlier one), logout, token
/// renewal, the token-will-expire notice and the logout of an expired token.
/// </summary>
public sealed class ChatSessions
{
    private readonly IChatStore _store;
    private readonly ChatUserRegistry _users;
    private readonly ChatRooms _rooms;
    private readonly TokenValidator _tokens;
    private readonly ChorusServerOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    public ChatSessions(IChatStore store, ChatUserRegistry users, ChatRooms rooms, TokenValidator tokens, IOptions<ChorusServerOptions> options, TimeProvider time)
    {
        _store = store;
        _users = users;
        _rooms = rooms;
        _tokens = tokens;
        _options = options.Value;
        _time = time;
    }

    /// <summary>Logs a connection into chat (<c>chatLogin</c>).</summary>
    public async Task<Frame> LoginAsync(ClientSession session, Frame request, CancellationToken cancellationToken)
    {
        string userId = request.UserId ?? "";
        if (ChatValidator.Login(userId, request.UserName) is { } invalid) return ChatReply.Error(request, invalid);
        if (session.UserId is not null && session.UserId != userId)
            return ChatReply.Error(request, ChatErrorCodes.LoginFailed, "this connection is logged into rooms as another user");
        if (session.ChatUserId is not null && session.ChatUserId != userId)
            return ChatReply.Error(request, ChatErrorCodes.LoginFailed, "this connection is logged into chat as another user");
        var check = await _tokens.CheckAsync(session.AppId, session.Remote, request.Token, userId, null, TokenUse.ChatLogin);
        if (check.Outcome != TokenOutcome.Valid) return ChatReply.Error(request, TokenRefusal(check.Outcome));

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
        var result = ChatReply.Ok(request);
        result.UnreadTotal = await _store.GetUnreadTotalAsync(session.AppId, userId, cancellationToken);
        return result;
    }

    /// <summary>The one answer for each refused token outcome (the same texts as room logins; the reason is logged only).</summary>
    private static ChatError TokenRefusal(TokenOutcome outcome) => outcome switch
    {
        TokenOutcome.Expired => new(ChatErrorCodes.TokenExpired, Rooms.RoomSignaling.TokenExpiredMessage),
        TokenOutcome.Throttled => new(RoomErrorCodes.TooManyLoginAttempts, Rooms.RoomSignaling.TooManyFailedLoginsMessage),
        _ => new(ChatErrorCodes.TokenInvalid, Rooms.RoomSignaling.TokenInvalidMessage),
    };

    /// <summary>Logs the connection out of chat (<c>chatLogout</c>).</summary>
    public Frame Logout(ClientSession session, Frame request)
    {
        OnSessionClosed(session);
        session.ChatUserId = null;
        return ChatReply.Ok(request);
    }

    /// <summary>Replaces the token of the logged-in <paramref name="user"/> (<c>chatRenewToken</c>).</summary>
    public async Task<Frame> RenewTokenAsync(ClientSession session, string user, Frame request)
    {
        var check = await _tokens.CheckAsync(session.AppId, session.Remote, request.Token, user, null, TokenUse.ChatRenew);
        if (check.Outcome != TokenOutcome.Valid) return ChatReply.Error(request, TokenRefusal(check.Outcome));
        session.ChatTokenExpiresAt = check.Claims!.ExpiresAt;
        session.ChatTokenWarned = false;
        return ChatReply.Ok(request);
    }

    /// <summary>A connection ended: its chat login ends, and its room memberships enter the grace period.</summary>
    public void OnSessionClosed(ClientSession session)
    {
        if (session.ChatUserId is not { } user) return;
        _users.Remove(session.AppId, user, session);
        _rooms.OnDisconnected(session, user);
    }

    /// <summary>
    /// Periodic work: a login whose token has expired is told (<c>chatKickedOut</c>, 6000106) and logged out; one whose
    /// token has at most <see cref="ChorusServerOptions.TokenWillExpireNotice"/> left is told once (<c>chatTokenWillExpire</c>).
    /// </summary>
    public void CheckTokens()
    {
        long nowS = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000;
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
    }

    /// <summary>Whether a user has a chat connection on this node.</summary>
    public bool IsOnline(uint appId, string userId) => _users.Find(appId, userId) is not null;
}
