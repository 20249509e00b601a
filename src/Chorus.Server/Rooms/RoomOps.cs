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
        var request = ProtocolJsonContext.Default.Frame;
        var result = Frame.WireTypeInfo;
        ops.Add(Ops.Login, Feature, AnyConnection.For<Frame>(), "the Token04 for this user and room; one user per connection", RateClass.Login, request, result,
            async (connection, f, _) => (await signaling.LoginAsync(connection, new RoomLoginRequest(f.RoomId, f.UserId, f.UserName, f.Token, f.MaxMemberCount, f.UserStatusNotify))).ToFrame(f.Rid));
        ops.Add(Ops.Logout, Feature, AnyConnection.For<Frame>(), "its own login to the room (1002001 otherwise)", RateClass.Frame, request, result,
            async (connection, f, _) => (await signaling.LogoutAsync(connection, f.RoomId)).ToFrame(f.Rid));
        ops.Add(Ops.RenewToken, Feature, AnyConnection.For<Frame>(), "its own login to the room (1002001 otherwise), then the Token04 as a login does", RateClass.Frame, request, result,
            async (connection, f, _) => (await signaling.RenewTokenAsync(connection, new RoomRenewTokenRequest(f.RoomId, f.Token))).ToFrame(f.Rid));
        ops.Add(Ops.CustomCommand, Feature, RoomCallers.Member(signaling, Ops.CustomCommand), "", RateClass.Frame, request, result,
            (member, f, _) => ValueTask.FromResult(signaling.SendCustomCommand(member, new RoomMessageRequest(f.RoomId, f.Content, f.ToUserIds)).ToFrame(f.Rid)));
        ops.Add(Ops.Broadcast, Feature, RoomCallers.Member(signaling, Ops.Broadcast), "", RateClass.Frame, request, result,
            (member, f, _) => ValueTask.FromResult(signaling.SendBroadcast(member, new RoomMessageRequest(f.RoomId, f.Content)).ToFrame(f.Rid)));
        ops.Add(Ops.Barrage, Feature, RoomCallers.Member(signaling, Ops.Barrage), "", RateClass.Frame, request, result,
            (member, f, _) => ValueTask.FromResult(signaling.SendBarrage(member, new RoomMessageRequest(f.RoomId, f.Content)).ToFrame(f.Rid)));
        ops.Add(Ops.SetExtraInfo, Feature, RoomCallers.Member(signaling, Ops.SetExtraInfo), "", RateClass.Frame, request, result,
            async (member, f, _) => (await signaling.SetExtraInfoAsync(member, new RoomExtraInfoRequest(f.RoomId, f.Key, f.Value))).ToFrame(f.Rid));
    }
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
    public static CallerRequirement<Frame, RoomMember> Member(RoomSignaling signaling, string op) => new(MemberName,
        "logged into the request's room over this connection (1002001 when in no room, 1002007 when in others)",
        (IClientConnection connection, Frame request, long? rid, out RoomMember member, out EncodedFrame refusal) =>
        {
            if (signaling.TryGetSender(connection, request.RoomId, op, out member, out var error))
            {
                refusal = default;
                return true;
            }
            refusal = EncodedFrame.From(error.ToFrame(rid));
            return false;
        });
}
