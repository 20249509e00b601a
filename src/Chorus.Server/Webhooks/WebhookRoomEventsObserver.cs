using System.Text.Json.Nodes;
using Chorus.Server.Rooms;

namespace Chorus.Server.Webhooks;

/// <summary>Turns room events into the app's webhook callbacks (<c>room_create</c>, <c>room_login</c>, <c>room_logout</c>, <c>room_close</c>).</summary>
public sealed class WebhookRoomEventsObserver(WebhookDispatcher webhooks) : IRoomEventsObserver
{
    /// <inheritdoc />
    public void OnRoomCreated(RoomInfo room, RoomMemberInfo creator)
    {
        if (!webhooks.IsEnabled(room.AppId)) return;
        webhooks.Publish(room.AppId, "room_create", new JsonObject
        {
            ["room_id"] = room.RoomId, ["room_seq"] = room.Seq.ToString(), ["room_create_time"] = creator.LoginTimeMs,
            ["id_name"] = creator.UserId, ["user_account"] = creator.UserId, ["user_nickname"] = creator.UserName,
        });
    }

    /// <summary>
    /// A login's <c>session_id</c>: its connection's number on its node with the node's id above bit 40, so that the logins
    /// of a cluster's nodes never share one (each node numbers its connections from 1).
    /// </summary>
    public static string SessionId(RoomMemberInfo member) =>
        (((long)member.NodeId << 40) | (member.ConnectionId & ((1L << 40) - 1))).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void OnLogin(RoomInfo room, RoomMemberInfo member)
    {
        if (!webhooks.IsEnabled(room.AppId)) return;
        webhooks.Publish(room.AppId, "room_login", new JsonObject
        {
            ["room_id"] = room.RoomId, ["room_seq"] = room.Seq.ToString(), ["user_account"] = member.UserId, ["user_nickname"] = member.UserName,
            ["session_id"] = SessionId(member), ["login_time"] = member.LoginTimeMs,
        });
    }

    /// <inheritdoc />
    public void OnLogout(RoomInfo room, RoomMemberInfo member, RoomLeaveReason reason, long logoutTimeMs)
    {
        if (!webhooks.IsEnabled(room.AppId)) return;
        webhooks.Publish(room.AppId, "room_logout", new JsonObject
        {
            ["room_id"] = room.RoomId, ["room_seq"] = room.Seq.ToString(), ["user_account"] = member.UserId, ["user_nickname"] = member.UserName,
            ["session_id"] = SessionId(member), ["login_time"] = member.LoginTimeMs, ["logout_time"] = logoutTimeMs, ["reason"] = (int)reason,
        });
    }

    /// <inheritdoc />
    public void OnRoomClosed(RoomInfo room, RoomLeaveReason reason, long closeTimeMs)
    {
        if (!webhooks.IsEnabled(room.AppId)) return;
        webhooks.Publish(room.AppId, "room_close", new JsonObject
        {
            ["room_id"] = room.RoomId, ["room_seq"] = room.Seq.ToString(), ["close_reason"] = (int)reason, ["room_close_time"] = closeTimeMs,
        });
    }
}
