using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

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
