using Chorus.Server.Auth;

namespace Chorus.Server.Chat;

/// <summary>
/// The chat login of one connection, owned by <c>ChatSessions</c> (in the server) (keyed by connection, not kept on the
/// connection): the chat user, its token's expiry and the send rate limit.
/// </summary>
/// <param name="connection">The connection.</param>
public sealed class ChatConnectionState(IClientConnection connection)
{
    /// <summary>The connection.</summary>
    public IClientConnection Connection { get; } = connection;

    /// <summary>The chat user logged in over this connection; null once it logged out, was kicked out or its token expired.</summary>
    public string? UserId { get; set; }

    /// <summary>When the chat token expires, Unix seconds.</summary>
    public long TokenExpiresAt { get; set; }

    /// <summary>Whether the token-will-expire event was sent for the current token.</summary>
    public bool TokenWarned { get; set; }

    /// <summary>The send rate limit of the user logged in here (one connection per user, so per user); made at login.</summary>
    public SlidingWindowLimiter? SendLimit { get; set; }
}
