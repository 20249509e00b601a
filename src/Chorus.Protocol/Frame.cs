using System.Text.Json;
using System.Text.Json.Serialization;

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
    /// <summary>Protocol version spoken (sent in the hello frame).</summary>
    [JsonPropertyName("version")] public int? Version { get; set; }

    /// <summary>Serializes this frame to UTF-8 JSON.</summary>
    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, ProtocolJsonContext.Default.Frame);

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
    /// <summary>The server is going away; reconnect after a jittered delay.</summary>
    public const string GoAway = "goAway";
}

/// <summary>Source-generated JSON metadata for protocol types.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Frame))]
[JsonSerializable(typeof(Token04Claims))]
[JsonSerializable(typeof(RoomPrivilegePayload))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
