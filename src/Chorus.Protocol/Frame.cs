using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Chorus.Protocol;

/// <summary>
/// One message of the Chorus WebSocket protocol, version 1 (JSON text frames, see docs/protocol.md).
/// A frame is a flat JSON object whose <see cref="Op"/> says what it is; fields that do not apply are omitted.
/// Requests carry a client-chosen <see cref="Rid"/>; the server's <c>result</c> frame echoes it.
/// </summary>
public sealed class Frame
{
    /// <summary>The operation or event name (see <see cref="Ops"/>).</summary>
    [JsonPropertyName("op")] public string? Op { get; set; }
    /// <summary>Request id chosen by the client, echoed in the result.</summary>
    [JsonPropertyName("rid")] public long? Rid { get; set; }
    /// <summary>Error code of a result or event (0 = success).</summary>
    [JsonPropertyName("errorCode")] public int? ErrorCode { get; set; }
    /// <summary>Human-readable text for an error code.</summary>
    [JsonPropertyName("error")] public string? Error { get; set; }
    /// <summary>Room the frame is about.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>User logging in.</summary>
    [JsonPropertyName("userId")] public string? UserId { get; set; }
    /// <summary>Display name of the user logging in.</summary>
    [JsonPropertyName("userName")] public string? UserName { get; set; }
    /// <summary>Token04 for login or renewal.</summary>
    [JsonPropertyName("token")] public string? Token { get; set; }
    /// <summary>Room capacity asked for at login (0 = unlimited); the room's first user sets it.</summary>
    [JsonPropertyName("maxMemberCount")] public int? MaxMemberCount { get; set; }
    /// <summary>Whether the client wants room user update events.</summary>
    [JsonPropertyName("userStatusNotify")] public bool? UserStatusNotify { get; set; }
    /// <summary>Content of a custom command, broadcast or barrage message (1–1024 UTF-8 bytes).</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
    /// <summary>Target users of a custom command; absent or empty = everyone in the room but the sender.</summary>
    [JsonPropertyName("toUserIds")] public string[]? ToUserIds { get; set; }
    /// <summary>Numeric message id (broadcast messages).</summary>
    [JsonPropertyName("messageId")] public long? MessageId { get; set; }
    /// <summary>String message id (barrage messages).</summary>
    [JsonPropertyName("barrageId")] public string? BarrageId { get; set; }
    /// <summary>Send time, Unix milliseconds.</summary>
    [JsonPropertyName("sendTime")] public long? SendTime { get; set; }
    /// <summary>Sender of a received message.</summary>
    [JsonPropertyName("fromUserId")] public string? FromUserId { get; set; }
    /// <summary>Display name of the sender.</summary>
    [JsonPropertyName("fromUserName")] public string? FromUserName { get; set; }
    /// <summary>Users of a user update or login result.</summary>
    [JsonPropertyName("users")] public WireUser[]? Users { get; set; }
    /// <summary>"add" or "delete" in a user update.</summary>
    [JsonPropertyName("updateType")] public string? UpdateType { get; set; }
    /// <summary>Online user count.</summary>
    [JsonPropertyName("count")] public int? Count { get; set; }
    /// <summary>Room state reason (see the SDK's RoomStateChangedReason: 6 KickOut, 7 Logout...).</summary>
    [JsonPropertyName("reason")] public int? Reason { get; set; }
    /// <summary>Seconds left before a token expires.</summary>
    [JsonPropertyName("secondsLeft")] public int? SecondsLeft { get; set; }
    /// <summary>Room extra info key.</summary>
    [JsonPropertyName("key")] public string? Key { get; set; }
    /// <summary>Room extra info value.</summary>
    [JsonPropertyName("value")] public string? Value { get; set; }
    /// <summary>Free-form text attached to a kick-out or close (server API CustomReason).</summary>
    [JsonPropertyName("extendedData")] public string? ExtendedData { get; set; }
    /// <summary>Heartbeat interval the server expects, in milliseconds (sent in the hello frame).</summary>
    [JsonPropertyName("heartbeatMs")] public int? HeartbeatMs { get; set; }
    /// <summary>Chat conversation type.</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>Chat conversation ID (also a group or chat room ID).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>One chat message.</summary>
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
    /// <summary>Chat messages (history, sync).</summary>
    [JsonPropertyName("messages")] public WireChatMessage[]? Messages { get; set; }
    /// <summary>One conversation.</summary>
    [JsonPropertyName("conversation")] public WireConversation? Conversation { get; set; }
    /// <summary>Conversations.</summary>
    [JsonPropertyName("conversations")] public WireConversation[]? Conversations { get; set; }
    /// <summary>Message ids (delete, receipts).</summary>
    [JsonPropertyName("messageIds")] public long[]? MessageIds { get; set; }
    /// <summary>History paging: the sequence number to start after (exclusive); absent = from the newest (or oldest, forward).</summary>
    [JsonPropertyName("nextSeq")] public long? NextSeq { get; set; }
    /// <summary>History direction: false (default) from newer to older, true from older to newer.</summary>
    [JsonPropertyName("reverse")] public bool? Reverse { get; set; }
    /// <summary>Mute state.</summary>
    [JsonPropertyName("muted")] public bool? Muted { get; set; }
    /// <summary>Pinned state.</summary>
    [JsonPropertyName("pinned")] public bool? Pinned { get; set; }
    /// <summary>Group or room name.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
    /// <summary>Member UserIds (group create, invite, kick; member lists).</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
    /// <summary>Group information.</summary>
    [JsonPropertyName("group")] public WireGroup? Group { get; set; }
    /// <summary>Total unread count.</summary>
    [JsonPropertyName("unreadTotal")] public long? UnreadTotal { get; set; }
    /// <summary>Protocol version spoken (sent in the hello frame).</summary>
    [JsonPropertyName("version")] public int? Version { get; set; }
    /// <summary>Largest WebSocket message the server accepts from the client, in bytes (sent in the hello frame).</summary>
    [JsonPropertyName("maxFrameBytes")] public int? MaxFrameBytes { get; set; }
    /// <summary>Largest chat text or custom message the server accepts, in UTF-8 bytes (sent in the hello frame).</summary>
    [JsonPropertyName("maxTextBytes")] public int? MaxTextBytes { get; set; }

    // Frames are not embedded in HTML, so only what JSON requires is escaped: a non-ASCII or HTML-sensitive character
    // takes its UTF-8 bytes rather than a six-byte \uXXXX escape, and more content fits in one frame.
    private static readonly JsonTypeInfo<Frame> s_wireTypeInfo = CreateWireTypeInfo();

    private static JsonTypeInfo<Frame> CreateWireTypeInfo()
    {
        var options = new JsonSerializerOptions(ProtocolJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return (JsonTypeInfo<Frame>)options.GetTypeInfo(typeof(Frame));
    }

    /// <summary>Serializes this frame to UTF-8 JSON.</summary>
    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, s_wireTypeInfo);

    /// <summary>Parses a frame; returns null for anything that is not a JSON object of the frame shape.</summary>
    public static Frame? TryParse(ReadOnlySpan<byte> utf8)
    {
        try { return JsonSerializer.Deserialize(utf8, ProtocolJsonContext.Default.Frame); }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }
}

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

/// <summary>Source-generated JSON metadata for protocol types.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Frame))]
[JsonSerializable(typeof(Token04Claims))]
[JsonSerializable(typeof(RoomPrivilegePayload))]
[JsonSerializable(typeof(WireChatMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
