using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>A user as it appears on the wire.</summary>
/// <param name="UserId">The user's id.</param>
/// <param name="UserName">The user's display name.</param>
public sealed record WireUser(
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("userName")] string UserName);

/// <summary>The operation and event names of protocol version 1.</summary>
public static class Ops
{
    /// <summary>The WebSocket subprotocol name of version 1 with the JSON encoding.</summary>
    public const string SubProtocol = "chorus.v1.json";
    /// <summary>Protocol version number.</summary>
    public const int ProtocolVersion = 1;

    // client → server requests
    /// <summary>Log into a room.</summary>
    public const string Login = "login";
    /// <summary>Log out of a room.</summary>
    public const string Logout = "logout";
    /// <summary>Replace the token of a room login.</summary>
    public const string RenewToken = "renewToken";
    /// <summary>Send a custom command.</summary>
    public const string CustomCommand = "customCommand";
    /// <summary>Send a broadcast message.</summary>
    public const string Broadcast = "broadcast";
    /// <summary>Send a barrage message.</summary>
    public const string Barrage = "barrage";
    /// <summary>Set a room extra info key.</summary>
    public const string SetExtraInfo = "setExtraInfo";
    /// <summary>Heartbeat; the server answers with pong.</summary>
    public const string Ping = "ping";

    // server → client
    /// <summary>First frame on a new connection: protocol version and heartbeat interval.</summary>
    public const string Hello = "hello";
    /// <summary>Answer to a request (echoes rid).</summary>
    public const string Result = "result";
    /// <summary>Heartbeat answer.</summary>
    public const string Pong = "pong";
    /// <summary>Room users joined or left.</summary>
    public const string UserUpdate = "userUpdate";
    /// <summary>Periodic online user count.</summary>
    public const string OnlineCount = "onlineCount";
    /// <summary>Room state changed by the server (kick-out).</summary>
    public const string RoomState = "roomState";
    /// <summary>The room token expires soon.</summary>
    public const string TokenWillExpire = "tokenWillExpire";
    /// <summary>Room extra info changed.</summary>
    public const string ExtraInfo = "extraInfo";
    /// <summary>A protocol error not tied to a request.</summary>
    public const string Error = "error";

    // chat, client → server
    /// <summary>Chat login (userId, userName, token).</summary>
    public const string ChatLogin = "chatLogin";
    /// <summary>Chat logout.</summary>
    public const string ChatLogout = "chatLogout";
    /// <summary>Replace the chat token.</summary>
    public const string ChatRenewToken = "chatRenewToken";
    /// <summary>Send a chat message (convType, convId, message).</summary>
    public const string SendMessage = "sendMessage";
    /// <summary>Query history (convType, convId, nextSeq, count, reverse).</summary>
    public const string QueryHistory = "queryHistory";
    /// <summary>Delete messages for this user (convType, convId, messageIds).</summary>
    public const string DeleteMessages = "deleteMessages";
    /// <summary>Delete every message of a conversation for this user.</summary>
    public const string DeleteAllMessages = "deleteAllMessages";
    /// <summary>Revoke (recall) one's own message (messageId).</summary>
    public const string RevokeMessage = "revokeMessage";
    /// <summary>Mark messages as read for their senders' receipts (convType, convId, messageIds ≤ 10).</summary>
    public const string SendReceiptsRead = "sendReceiptsRead";
    /// <summary>The user's conversations (count).</summary>
    public const string QueryConversations = "queryConversations";
    /// <summary>Clear a conversation's unread count.</summary>
    public const string ClearUnread = "clearUnread";
    /// <summary>Delete a conversation from the user's list.</summary>
    public const string DeleteConversation = "deleteConversation";
    /// <summary>Mute or unmute a conversation (muted).</summary>
    public const string SetNotificationStatus = "setNotificationStatus";
    /// <summary>Pin or unpin a conversation (pinned).</summary>
    public const string PinConversation = "pinConversation";
    /// <summary>Create a group (convId = group ID, name, members).</summary>
    public const string CreateGroup = "createGroup";
    /// <summary>Join a group.</summary>
    public const string JoinGroup = "joinGroup";
    /// <summary>Leave a group.</summary>
    public const string LeaveGroup = "leaveGroup";
    /// <summary>Dismiss a group (owner only).</summary>
    public const string DismissGroup = "dismissGroup";
    /// <summary>Invite users into a group (members).</summary>
    public const string InviteGroupMembers = "inviteGroupMembers";
    /// <summary>Kick users out of a group (owner only; members).</summary>
    public const string KickGroupMembers = "kickGroupMembers";
    /// <summary>A group's information.</summary>
    public const string QueryGroupInfo = "queryGroupInfo";
    /// <summary>A group's members.</summary>
    public const string QueryGroupMembers = "queryGroupMembers";
    /// <summary>Create a chat room (convId, name).</summary>
    public const string CreateRoom = "createRoom";
    /// <summary>Enter a chat room, creating it if missing.</summary>
    public const string EnterRoom = "enterRoom";
    /// <summary>Join an existing chat room.</summary>
    public const string JoinRoom = "joinRoom";
    /// <summary>Leave a chat room.</summary>
    public const string LeaveRoom = "leaveRoom";
    /// <summary>A chat room's members.</summary>
    public const string QueryRoomMembers = "queryRoomMembers";

    // chat, server → client
    /// <summary>A chat message arrived (any conversation type).</summary>
    public const string ChatMessage = "chatMessage";
    /// <summary>A conversation changed (new message, read, deleted...).</summary>
    public const string ConversationChanged = "conversationChanged";
    /// <summary>The total unread count changed.</summary>
    public const string UnreadTotalChanged = "unreadTotal";
    /// <summary>Read receipts changed for messages this user sent.</summary>
    public const string ReceiptChanged = "receiptChanged";
    /// <summary>A message was revoked.</summary>
    public const string MessageRevoked = "messageRevoked";
    /// <summary>Chat was logged out by the server (kicked: same user logged in elsewhere, token expired).</summary>
    public const string ChatKickedOut = "chatKickedOut";
    /// <summary>The chat token expires soon.</summary>
    public const string ChatTokenWillExpire = "chatTokenWillExpire";
    /// <summary>Group membership changed (members, updateType).</summary>
    public const string GroupMemberChanged = "groupMemberChanged";
}
