using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

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
