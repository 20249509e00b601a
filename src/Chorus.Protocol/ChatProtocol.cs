using System.Text;
using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Error codes of in-app chat (ZIM numbering).</summary>
public static class ChatErrorCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>A parameter is missing or malformed (also: a message too large, a bad conversation ID).</summary>
    public const int BadParameter = 6000001;
    /// <summary>Sending faster than the SDK allows.</summary>
    public const int RateLimitSdk = 6000004;
    /// <summary>Sending faster than the server allows (10 messages/s per user).</summary>
    public const int RateLimitServer = 6000005;
    /// <summary>Login failed.</summary>
    public const int LoginFailed = 6000101;
    /// <summary>The token is invalid.</summary>
    public const int TokenInvalid = 6000103;
    /// <summary>The token has expired.</summary>
    public const int TokenExpired = 6000106;
    /// <summary>The token has under 30 s left.</summary>
    public const int TokenAboutToExpire = 6000108;
    /// <summary>Not logged in (or kicked out).</summary>
    public const int NotLoggedIn = 6000121;
    /// <summary>The target (user, message) does not exist.</summary>
    public const int TargetMissing = 6000204;
    /// <summary>The room does not exist.</summary>
    public const int RoomMissing = 6000301;
    /// <summary>The user is not in the room.</summary>
    public const int NotInRoom = 6000321;
    /// <summary>Join: no such room.</summary>
    public const int JoinRoomMissing = 6000322;
    /// <summary>Create: the room exists already.</summary>
    public const int RoomExists = 6000323;
    /// <summary>Create or enter: the app has as many chat rooms as allowed (ZIM: the number of existing rooms has reached the limit).</summary>
    public const int RoomCountLimit = 6000324;
    /// <summary>Create, enter or join: the user is in as many chat rooms as allowed (ZIM: the number of joined rooms has reached the limit).</summary>
    public const int JoinedRoomCountLimit = 6000325;
    /// <summary>Creating a group failed; Chorus: the user owns as many groups as allowed (ZIM documents no more specific code).</summary>
    public const int GroupCreateFailed = 6000503;
    /// <summary>The group does not exist.</summary>
    public const int GroupMissing = 6000523;
    /// <summary>Create: the group exists already.</summary>
    public const int GroupExists = 6000524;
    /// <summary>The group is full.</summary>
    public const int GroupFull = 6000525;
    /// <summary>Create: the group ID belonged to a group since dismissed and is not used again.</summary>
    public const int GroupDismissed = 6000527;
    /// <summary>No permission (not a member, not the owner, not the sender, a former member).</summary>
    public const int NoPermission = 6000541;
}

/// <summary>Conversation types (ZIM numbering).</summary>
public enum ConversationType
{
    /// <summary>One-to-one; the conversation ID is the other user's UserId.</summary>
    Peer = 0,
    /// <summary>A chat room; the conversation ID is the room ID.</summary>
    Room = 1,
    /// <summary>A group; the conversation ID is the group ID.</summary>
    Group = 2,
}

/// <summary>Message types (ZIM numbering).</summary>
public enum ChatMessageType
{
    /// <summary>Text (stored; ≤ 2 KB by default).</summary>
    Text = 1,
    /// <summary>Command: bytes, never stored, unreliable (≤ 5 KB).</summary>
    Command = 2,
    /// <summary>Shown in history in place of a revoked message.</summary>
    Revoke = 31,
    /// <summary>Barrage: rooms only, never stored, unreliable (≤ 5 KB).</summary>
    Barrage = 20,
    /// <summary>Custom, with a SubType 0–200 and SearchedContent ≤ 64 bytes (stored; ≤ 2 KB by default).</summary>
    Custom = 200,
}

/// <summary>A chat message on the wire.</summary>
public sealed class WireChatMessage
{
    /// <summary>Server-assigned id (0 before the server stored it).</summary>
    [JsonPropertyName("messageId")] public long MessageId { get; set; }
    /// <summary>The sender's own id for the message, used to deduplicate retries.</summary>
    [JsonPropertyName("localMessageId")] public long LocalMessageId { get; set; }
    /// <summary>Sender.</summary>
    [JsonPropertyName("senderUserId")] public string? SenderUserId { get; set; }
    /// <summary>Conversation ID as the receiver of this frame sees it (for peers: the other user).</summary>
    [JsonPropertyName("conversationId")] public string? ConversationId { get; set; }
    /// <summary>Conversation type.</summary>
    [JsonPropertyName("conversationType")] public ConversationType ConversationType { get; set; }
    /// <summary>Server time, Unix ms.</summary>
    [JsonPropertyName("timestamp")] public long Timestamp { get; set; }
    /// <summary>Position in the conversation (1, 2, 3...; 0 for unstored kinds).</summary>
    [JsonPropertyName("conversationSeq")] public long ConversationSeq { get; set; }
    /// <summary>Sort key within the conversation.</summary>
    [JsonPropertyName("orderKey")] public long OrderKey { get; set; }
    /// <summary>Message type.</summary>
    [JsonPropertyName("type")] public ChatMessageType Type { get; set; }
    /// <summary>Text content (Text, Barrage, Custom).</summary>
    [JsonPropertyName("text")] public string? Text { get; set; }
    /// <summary>Command bytes, Base64.</summary>
    [JsonPropertyName("data")] public string? Data { get; set; }
    /// <summary>Custom sub-type 0–200.</summary>
    [JsonPropertyName("subType")] public int? SubType { get; set; }
    /// <summary>Custom message search text, ≤ 64 bytes.</summary>
    [JsonPropertyName("searchedContent")] public string? SearchedContent { get; set; }
    /// <summary>Extra data, ≤ 1 KB.</summary>
    [JsonPropertyName("extendedData")] public string? ExtendedData { get; set; }
    /// <summary>Whether the sender asked for read receipts.</summary>
    [JsonPropertyName("hasReceipt")] public bool? HasReceipt { get; set; }
    /// <summary>Receipt status: 1 processing (unread), 2 done (read). Absent without receipts.</summary>
    [JsonPropertyName("receiptStatus")] public int? ReceiptStatus { get; set; }
    /// <summary>Priority: 1 low, 2 medium, 3 high.</summary>
    [JsonPropertyName("priority")] public int? Priority { get; set; }
    /// <summary>Users mentioned.</summary>
    [JsonPropertyName("mentionedUserIds")] public string[]? MentionedUserIds { get; set; }
}

/// <summary>A conversation as one user sees it.</summary>
public sealed class WireConversation
{
    /// <summary>Conversation ID.</summary>
    [JsonPropertyName("conversationId")] public string? ConversationId { get; set; }
    /// <summary>Conversation type.</summary>
    [JsonPropertyName("conversationType")] public ConversationType ConversationType { get; set; }
    /// <summary>Unread messages (never counting this user's own).</summary>
    [JsonPropertyName("unreadMessageCount")] public long UnreadMessageCount { get; set; }
    /// <summary>The newest message this user can see, if any.</summary>
    [JsonPropertyName("lastMessage")] public WireChatMessage? LastMessage { get; set; }
    /// <summary>The conversation's highest sequence number.</summary>
    [JsonPropertyName("maxSeq")] public long MaxSeq { get; set; }
    /// <summary>1 = notify (default), 2 = muted ("do not disturb").</summary>
    [JsonPropertyName("notificationStatus")] public int NotificationStatus { get; set; } = 1;
    /// <summary>Pinned.</summary>
    [JsonPropertyName("isPinned")] public bool IsPinned { get; set; }
    /// <summary>Sort key: the last message time (ms).</summary>
    [JsonPropertyName("orderKey")] public long OrderKey { get; set; }
}

/// <summary>A group's information.</summary>
public sealed class WireGroup
{
    /// <summary>Group ID.</summary>
    [JsonPropertyName("groupId")] public string? GroupId { get; set; }
    /// <summary>Name.</summary>
    [JsonPropertyName("groupName")] public string? GroupName { get; set; }
    /// <summary>Owner's UserId.</summary>
    [JsonPropertyName("ownerUserId")] public string? OwnerUserId { get; set; }
    /// <summary>Creation time, Unix ms.</summary>
    [JsonPropertyName("createTime")] public long CreateTime { get; set; }
    /// <summary>Member count.</summary>
    [JsonPropertyName("memberCount")] public int MemberCount { get; set; }
}

/// <summary>Chat limits and conversation ID rules. Defaults are ZIM's; the server may configure sizes.</summary>
public static class ChatLimits
{
    /// <summary>Default largest text or custom message, in bytes: 2048 (configurable up to 32 KB).</summary>
    public const int DefaultMaxTextBytes = 2048;
    /// <summary>Largest text or custom message any configuration allows: 32 KB.</summary>
    public const int MaxConfigurableTextBytes = 32 * 1024;
    /// <summary>Largest command or barrage message: 5 KB.</summary>
    public const int MaxCommandBytes = 5 * 1024;
    /// <summary>Largest extended data: 1 KB.</summary>
    public const int MaxExtendedDataBytes = 1024;
    /// <summary>Largest custom SearchedContent: 64 bytes.</summary>
    public const int MaxSearchedContentBytes = 64;
    /// <summary>Largest custom SubType: 200.</summary>
    public const int MaxCustomSubType = 200;
    /// <summary>Longest group ID: 32 bytes (ZIM).</summary>
    public const int MaxGroupIdBytes = 32;
    /// <summary>Longest chat room ID: 128 bytes.</summary>
    public const int MaxRoomIdBytes = 128;
    /// <summary>Longest group or room name, in bytes: 64 (Chorus's choice).</summary>
    public const int MaxNameBytes = 64;
    /// <summary>Most messages one history query returns: 100.</summary>
    public const int MaxHistoryCount = 100;
    /// <summary>Most messages one read-receipt call names: 10.</summary>
    public const int MaxReceiptMessages = 10;

    /// <summary>Characters allowed in group and room IDs besides ASCII letters and digits (ZIM's list).</summary>
    public const string IdPunctuation = "!#$%&()+-:;<=.>?@[]^_{}|~";

    /// <summary>Checks a group or room ID: 1–<paramref name="maxBytes"/> bytes of letters, digits and <see cref="IdPunctuation"/>.</summary>
    public static bool IsValidId(string? id, int maxBytes)
    {
        if (string.IsNullOrEmpty(id) || Encoding.UTF8.GetByteCount(id) > maxBytes) return false;
        foreach (char c in id)
            if (!char.IsAsciiLetterOrDigit(c) && !IdPunctuation.Contains(c)) return false;
        return true;
    }

    /// <summary>Most users one message may mention: 100.</summary>
    public const int MaxMentionedUsers = 100;

    // The request checks below are shared by the server and the SDK (which refuses before sending), so both give the
    // same 6000001 text. Each returns null when the input is valid.

    /// <summary>A conversation ID for its type.</summary>
    public static string? ConversationProblem(string? conversationId, ConversationType type) =>
        IsValidConversationId(conversationId, type) ? null : ConversationIdRule(type);

    /// <summary>A peer or group conversation (the operations on stored conversations; rooms have none).</summary>
    public static string? StoredConversationProblem(string? conversationId, ConversationType type) =>
        type != ConversationType.Room && IsValidConversationId(conversationId, type) ? null : "a peer or group conversation is required";

    /// <summary>A page size: 1-<see cref="MaxHistoryCount"/>.</summary>
    public static string? PageCountProblem(int count) => count is < 1 or > MaxHistoryCount ? $"count must be 1-{MaxHistoryCount}" : null;

    /// <summary>A list of message IDs: 1-<paramref name="max"/> of them.</summary>
    public static string? MessageIdsProblem(int count, int max) => count is < 1 || count > max ? $"messageIds must hold 1-{max} ids" : null;

    /// <summary>A group ID and, when given, its members (every one a valid UserId) and name.</summary>
    public static string? GroupProblem(string? groupId, IReadOnlyList<string>? members, string? name)
    {
        if (!IsValidId(groupId, MaxGroupIdBytes)) return ConversationIdRule(ConversationType.Group);
        if (members is not null && members.Any(m => RoomLimits.ValidateUserId(m) != 0)) return "every member must be a UserId of 1-64 bytes";
        return NameProblem(name, "group");
    }

    /// <summary>A chat room ID and, when given, its name.</summary>
    public static string? RoomProblem(string? roomId, string? name) =>
        IsValidId(roomId, MaxRoomIdBytes) ? NameProblem(name, "room") : ConversationIdRule(ConversationType.Room);

    /// <summary>A group or room name: at most <see cref="MaxNameBytes"/> bytes.</summary>
    public static string? NameProblem(string? name, string what) =>
        name is not null && Encoding.UTF8.GetByteCount(name) > MaxNameBytes ? $"{what} name is longer than {MaxNameBytes} bytes" : null;

    /// <summary>What a valid conversation ID of <paramref name="type"/> looks like (the text of the 6000001 refusal).</summary>
    public static string ConversationIdRule(ConversationType type) => type switch
    {
        ConversationType.Peer => "a peer conversation ID is a UserId of 1-64 bytes",
        ConversationType.Group => "a group ID is 1-32 bytes of letters, digits and !#$%&()+-:;<=.>?@[]^_{}|~",
        ConversationType.Room => "a room ID is 1-128 bytes of letters, digits and !#$%&()+-:;<=.>?@[]^_{}|~",
        _ => "conversation type must be 0 (peer), 1 (room) or 2 (group)",
    };

    /// <summary>
    /// Checks a message's content against the limits: text and custom 1–<paramref name="maxTextBytes"/> bytes, command
    /// 1–5120 bytes (Base64 on the wire), barrage 1–5120 bytes and rooms only, custom SubType 0–200 and SearchedContent
    /// ≤ 64 bytes, ExtendedData ≤ 1024 bytes, Priority 1–3, at most 100 mentioned users. The server and the SDK both use it
    /// (a refusal is 6000001).
    /// </summary>
    /// <returns>What is wrong, or null when the message is valid.</returns>
    public static string? ValidateMessage(WireChatMessage m, ConversationType type, int maxTextBytes) => ValidateMessage(m, type, maxTextBytes, out _);

    /// <summary>
    /// Checks a message's content like <see cref="ValidateMessage(WireChatMessage, ConversationType, int)"/>, and tells
    /// whether the refusal is for size: text, command or barrage content over its byte limit (the server API answers those
    /// with its own "message too big" code).
    /// </summary>
    /// <param name="m">The message.</param>
    /// <param name="type">The conversation type it is sent to.</param>
    /// <param name="maxTextBytes">Largest text or custom message, in bytes.</param>
    /// <param name="tooLarge">True when the refusal is for content over its byte limit.</param>
    /// <returns>What is wrong, or null when the message is valid.</returns>
    public static string? ValidateMessage(WireChatMessage m, ConversationType type, int maxTextBytes, out bool tooLarge)
    {
        ArgumentNullException.ThrowIfNull(m);
        tooLarge = false;
        switch (m.Type)
        {
            case ChatMessageType.Text:
            case ChatMessageType.Custom:
                if (string.IsNullOrEmpty(m.Text)) return "message text is empty";
                if (Encoding.UTF8.GetByteCount(m.Text) > maxTextBytes) { tooLarge = true; return $"message text is larger than {maxTextBytes} bytes"; }
                break;
            case ChatMessageType.Command:
                if (string.IsNullOrEmpty(m.Data)) return "command data is empty";
                // Measured without decoding (this runs for every command message, in the SDK and in the server).
                if (!System.Buffers.Text.Base64.IsValid(m.Data.AsSpan(), out int decodedLength)) return "command data is not Base64";
                if (decodedLength > MaxCommandBytes) { tooLarge = true; return $"command data is larger than {MaxCommandBytes} bytes"; }
                break;
            case ChatMessageType.Barrage:
                if (type != ConversationType.Room) return "barrage messages are for rooms only";
                if (string.IsNullOrEmpty(m.Text)) return "message text is empty";
                if (Encoding.UTF8.GetByteCount(m.Text) > MaxCommandBytes) { tooLarge = true; return $"barrage text is larger than {MaxCommandBytes} bytes"; }
                break;
            default:
                return "message type must be Text (1), Command (2), Barrage (20) or Custom (200)";
        }
        if (m.Type == ChatMessageType.Custom)
        {
            if (m.SubType is < 0 or > MaxCustomSubType) return "custom SubType must be 0-200";
            if (m.SearchedContent is { } sc && Encoding.UTF8.GetByteCount(sc) > MaxSearchedContentBytes) return "SearchedContent is longer than 64 bytes";
        }
        if (m.ExtendedData is { } ed && Encoding.UTF8.GetByteCount(ed) > MaxExtendedDataBytes) return "ExtendedData is longer than 1024 bytes";
        if (m.Priority is < 1 or > 3) return "Priority must be 1 (low), 2 (medium) or 3 (high)";
        if (m.MentionedUserIds is { Length: > MaxMentionedUsers }) return "at most 100 mentioned users";
        return null;
    }

    /// <summary>Checks a conversation ID for its type: a UserId (1–64 bytes), a room ID or a group ID.</summary>
    public static bool IsValidConversationId(string? id, ConversationType type) => type switch
    {
        ConversationType.Peer => RoomLimits.ValidateUserId(id) == 0,
        ConversationType.Room => IsValidId(id, MaxRoomIdBytes),
        ConversationType.Group => IsValidId(id, MaxGroupIdBytes),
        _ => false,
    };
}
