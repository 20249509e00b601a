using Chorus.Protocol;
using Chorus.Server.Core.Operations;

namespace Chorus.Server.Rooms;

/// <summary>Room signaling's part of the op table: login, logout, token renewal, custom commands, broadcast, barrage, extra info.</summary>
public sealed class RoomOps(RoomSignaling signaling) : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "rooms";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops)
    {
        ops.Add(ProtocolOps.Login, Feature, AnyConnection.For<LoginRequest>(), "the Token04 for this user and room; one user per connection", RateClass.Login,
            async (connection, r, _) => ToLoginResult(await signaling.LoginAsync(connection, new RoomLoginRequest(r.RoomId, r.UserId, r.UserName, r.Token, r.MaxMemberCount, r.UserStatusNotify)), r.Rid));
        ops.Add(ProtocolOps.Logout, Feature, AnyConnection.For<LogoutRequest>(), "its own login to the room (1002001 otherwise)", RateClass.Frame,
            async (connection, r, _) => ToRoomResult(await signaling.LogoutAsync(connection, r.RoomId), r.Rid));
        ops.Add(ProtocolOps.RenewToken, Feature, AnyConnection.For<RenewTokenRequest>(), "its own login to the room (1002001 otherwise), then the Token04 as a login does", RateClass.Frame,
            async (connection, r, _) => ToRoomResult(await signaling.RenewTokenAsync(connection, new RoomRenewTokenRequest(r.RoomId, r.Token)), r.Rid));
        ops.Add(ProtocolOps.CustomCommand, Feature, RoomCallers.Member<CustomCommandRequest>(signaling, Ops.CustomCommand), "", RateClass.Frame,
            (member, r, _) => ValueTask.FromResult(ToRoomResult(signaling.SendCustomCommand(member, new RoomMessageRequest(r.RoomId, r.Content, r.ToUserIds)), r.Rid)));
        ops.Add(ProtocolOps.Broadcast, Feature, RoomCallers.Member<BroadcastRequest>(signaling, Ops.Broadcast), "", RateClass.Frame,
            (member, r, _) =>
            {
                var reply = signaling.SendBroadcast(member, new RoomMessageRequest(r.RoomId, r.Content));
                return ValueTask.FromResult(new BroadcastResult { Rid = r.Rid, ErrorCode = reply.Code, Error = reply.Message, RoomId = reply.RoomId, MessageId = reply.MessageId });
            });
        ops.Add(ProtocolOps.Barrage, Feature, RoomCallers.Member<BarrageRequest>(signaling, Ops.Barrage), "", RateClass.Frame,
            (member, r, _) =>
            {
                var reply = signaling.SendBarrage(member, new RoomMessageRequest(r.RoomId, r.Content));
                return ValueTask.FromResult(new BarrageResult { Rid = r.Rid, ErrorCode = reply.Code, Error = reply.Message, RoomId = reply.RoomId, BarrageId = reply.BarrageId });
            });
        ops.Add(ProtocolOps.SetExtraInfo, Feature, RoomCallers.Member<SetExtraInfoRequest>(signaling, Ops.SetExtraInfo), "", RateClass.Frame,
            async (member, r, _) => ToRoomResult(await signaling.SetExtraInfoAsync(member, new RoomExtraInfoRequest(r.RoomId, r.Key, r.Value)), r.Rid));
    }

    private static LoginResult ToLoginResult(RoomReply reply, long? rid) =>
        new() { Rid = rid, ErrorCode = reply.Code, Error = reply.Message, RoomId = reply.RoomId, Users = reply.Users, Count = reply.Count };

    /// <summary>The <c>result</c> of a room op that answers with its room only.</summary>
    internal static RoomResult ToRoomResult(RoomReply reply, long? rid) =>
        new() { Rid = rid, ErrorCode = reply.Code, Error = reply.Message, RoomId = reply.RoomId };
}

/// <summary>What room ops require of their caller.</summary>
public static class RoomCallers
{
    /// <summary>The requirement's name.</summary>
    public const string MemberName = "room login";

    /// <summary>
    /// Logged into the room the request names (<c>roomId</c>) over this connection; the handler gets that login.
    /// Refused with 1002001 when the connection is in no room, 1002007 when it is in others.
    /// </summary>
    public static CallerRequirement<TRequest, RoomMember> Member<TRequest>(RoomSignaling signaling, string op) where TRequest : IRoomRequest => new(MemberName,
        "logged into the request's room over this connection (1002001 when in no room, 1002007 when in others)",
        (IClientConnection connection, TRequest request, long? rid, out RoomMember member, out EncodedFrame refusal) =>
        {
            if (signaling.TryGetSender(connection, request.RoomId, op, out member, out var error))
            {
                refusal = default;
                return true;
            }
            refusal = EncodedFrame.FromPayload(ProtocolJson.ToUtf8Bytes(RoomOps.ToRoomResult(error, rid)));
            return false;
        });
}
