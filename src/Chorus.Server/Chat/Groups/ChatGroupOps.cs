using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

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
