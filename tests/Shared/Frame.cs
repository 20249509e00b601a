using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Chorus.Protocol;

/// <summary>
/// A test aid, not part of the shipped protocol library: the flat view of any message of protocol version 1, every
/// field of every op on one class (as Chorus.Protocol had it before the typed records). Tests decode what the server
/// sent with it whatever the op, and check that a record and the frame with the same fields are the same bytes; the
/// micro-benchmarks compare the records' readers with it. Linked into the test and benchmark projects that use it.
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
        var options = new JsonSerializerOptions(FrameJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return (JsonTypeInfo<Frame>)options.GetTypeInfo(typeof(Frame));
    }

    /// <summary>Serializes this frame to UTF-8 JSON.</summary>
    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, s_wireTypeInfo);

    /// <summary>Parses a frame; returns null for anything that is not a JSON object of the frame shape.</summary>
    public static Frame? TryParse(ReadOnlySpan<byte> utf8)
    {
        try { return JsonSerializer.Deserialize(utf8, FrameJsonContext.Default.Frame); }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }
}

/// <summary>Source-generated JSON metadata for <see cref="Frame"/> (null fields omitted, as the protocol's records).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Frame))]
internal sealed partial class FrameJsonContext : JsonSerializerContext;
