using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

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
