using Chorus.Protocol;

namespace Chorus.Client;

/// <summary>A chat user.</summary>
/// <param name="UserId">UserId, 1–64 bytes.</param>
/// <param name="UserName">Display name.</param>
public sealed record ChatUserInfo(string UserId, string UserName = "");

/// <summary>Whether a message was sent by this user or received.</summary>
public enum MessageDirection
{
    /// <summary>Sent by this user.</summary>
    Send = 0,
    /// <summary>Received.</summary>
    Receive = 1,
}

/// <summary>Where a send stands.</summary>
public enum MessageSentStatus
{
    /// <summary>Sending.</summary>
    Sending = 0,
    /// <summary>Stored (or delivered, for unstored kinds) by the server.</summary>
    Success = 1,
    /// <summary>Failed.</summary>
    Failed = 2,
}

/// <summary>
/// A chat message. Make one with <see cref="Text"/>, <see cref="Command"/>, <see cref="Barrage"/> or <see cref="Custom"/>;
/// the server fills MessageId, Timestamp, ConversationSeq and OrderKey.
/// </summary>
public sealed class ChatMessage
{
    private static long s_lastLocalId;

    /// <summary>Type.</summary>
    public ChatMessageType Type { get; init; }
    /// <summary>Text content (Text, Barrage, Custom): text and custom ≤ 2 KB by default, barrage ≤ 5 KB.</summary>
    public string? Message { get; init; }
    /// <summary>Command bytes (≤ 5 KB).</summary>
    public byte[]? Data { get; init; }
    /// <summary>Custom sub-type, 0–200.</summary>
    public int SubType { get; init; }
    /// <summary>Custom search text, ≤ 64 bytes.</summary>
    public string? SearchedContent { get; init; }
    /// <summary>Extra data, ≤ 1 KB.</summary>
    public string? ExtendedData { get; init; }
    /// <summary>Users to mention.</summary>
    public IReadOnlyList<string>? MentionedUserIds { get; init; }
    /// <summary>Server id (0 until stored).</summary>
    public long MessageId { get; internal set; }
    /// <summary>This client's id for the message; retries with the same value never duplicate it.</summary>
    public long LocalMessageId { get; set; } = NextLocalId();
    /// <summary>Sender.</summary>
    public string SenderUserId { get; internal set; } = "";
    /// <summary>Conversation ID as this user sees it.</summary>
    public string ConversationId { get; internal set; } = "";
    /// <summary>Conversation type.</summary>
    public ConversationType ConversationType { get; internal set; }
    /// <summary>Server time, Unix ms.</summary>
    public long Timestamp { get; internal set; }
    /// <summary>Position in the conversation (0 for command and barrage).</summary>
    public long ConversationSeq { get; internal set; }
    /// <summary>Sort key in the conversation.</summary>
    public long OrderKey { get; internal set; }
    /// <summary>Sent or received.</summary>
    public MessageDirection Direction { get; internal set; }
    /// <summary>Where the send stands.</summary>
    public MessageSentStatus SentStatus { get; internal set; }
    /// <summary>Receipt status: 0 none, 1 processing (unread), 2 done (read).</summary>
    public int ReceiptStatus { get; internal set; }
    /// <summary>Whether it arrived through synchronization after being offline, rather than live.</summary>
    public bool IsOfflineMessage { get; internal set; }

    /// <summary>A text message.</summary>
    public static ChatMessage Text(string text) => new() { Type = ChatMessageType.Text, Message = text };
    /// <summary>A command message: bytes, never stored, unreliable.</summary>
    public static ChatMessage Command(byte[] data) => new() { Type = ChatMessageType.Command, Data = data };
    /// <summary>A barrage message: rooms only, never stored, unreliable.</summary>
    public static ChatMessage Barrage(string text) => new() { Type = ChatMessageType.Barrage, Message = text };
    /// <summary>A custom message with a sub-type (0–200) and optional search text.</summary>
    public static ChatMessage Custom(string text, int subType, string? searchedContent = null) =>
        new() { Type = ChatMessageType.Custom, Message = text, SubType = subType, SearchedContent = searchedContent };

    private static long NextLocalId()
    {
        // Unique per process and increasing: the clock in ms times 1000 plus a counter.
        while (true)
        {
            long last = Interlocked.Read(ref s_lastLocalId);
            long next = Math.Max(last + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
            if (Interlocked.CompareExchange(ref s_lastLocalId, next, last) == last) return next;
        }
    }

    internal WireChatMessage ToWire(MessageSendConfig config) => new()
    {
        LocalMessageId = LocalMessageId, Type = Type, Text = Message, Data = Data is null ? null : Convert.ToBase64String(Data),
        SubType = Type == ChatMessageType.Custom ? SubType : null, SearchedContent = SearchedContent, ExtendedData = ExtendedData,
        HasReceipt = config.HasReceipt ? true : null, Priority = (int)config.Priority, MentionedUserIds = MentionedUserIds?.ToArray(),
    };

    internal static ChatMessage FromWire(WireChatMessage w, string me, bool offline)
    {
        var m = new ChatMessage
        {
            Type = w.Type, Message = w.Text, Data = w.Data is null ? null : Convert.FromBase64String(w.Data), SubType = w.SubType ?? 0,
            SearchedContent = w.SearchedContent, ExtendedData = w.ExtendedData, MentionedUserIds = w.MentionedUserIds,
            LocalMessageId = w.LocalMessageId,
        };
        m.Fill(w, me);
        m.IsOfflineMessage = offline;
        return m;
    }

    internal void Fill(WireChatMessage w, string me)
    {
        MessageId = w.MessageId;
        SenderUserId = w.SenderUserId ?? "";
        ConversationId = w.ConversationId ?? "";
        ConversationType = w.ConversationType;
        Timestamp = w.Timestamp;
        ConversationSeq = w.ConversationSeq;
        OrderKey = w.OrderKey;
        Direction = SenderUserId == me ? MessageDirection.Send : MessageDirection.Receive;
        SentStatus = MessageSentStatus.Success;
        ReceiptStatus = w.ReceiptStatus ?? 0;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type} #{MessageId} seq {ConversationSeq} from {SenderUserId}: {Message}";
}

/// <summary>Message priority.</summary>
public enum MessagePriority
{
    /// <summary>Low.</summary>
    Low = 1,
    /// <summary>Medium (default).</summary>
    Medium = 2,
    /// <summary>High.</summary>
    High = 3,
}

/// <summary>How to send a message.</summary>
public sealed record MessageSendConfig
{
    /// <summary>Priority. Default Medium.</summary>
    public MessagePriority Priority { get; init; } = MessagePriority.Medium;
    /// <summary>Ask for read receipts (peer and group only).</summary>
    public bool HasReceipt { get; init; }
    /// <summary>Notify mentioned users.</summary>
    public bool IsNotifyMentionedUsers { get; init; }
}

/// <summary>Callbacks of one send.</summary>
public sealed class MessageSendNotification
{
    /// <summary>Called with the local message before the server answers.</summary>
    public Action<ChatMessage>? OnMessageAttached { get; init; }
}

/// <summary>The result of a send.</summary>
/// <param name="Message">The message, filled by the server on success.</param>
/// <param name="ErrorCode">0, or a code of <see cref="ChatErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong.</param>
public sealed record MessageSentResult(ChatMessage Message, int ErrorCode, string? ErrorMessage);

/// <summary>A result with only a code.</summary>
/// <param name="ErrorCode">0, or a code of <see cref="ChatErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong.</param>
public sealed record ChatResult(int ErrorCode, string? ErrorMessage);

/// <summary>Result of creating, entering or joining a chat room.</summary>
/// <param name="ErrorCode">0 on success.</param>
/// <param name="ErrorMessage">Why not, on failure.</param>
/// <param name="MemberCount">Members in the room now, this user included (0 on failure).</param>
/// <param name="NextSeq">The room's newest message sequence number: live messages start after it (0 on failure).</param>
public sealed record ChatRoomResult(int ErrorCode, string? ErrorMessage, int MemberCount, long NextSeq);

/// <summary>How to page through history.</summary>
public sealed record HistoryQueryConfig
{
    /// <summary>
    /// The message to continue from (exclusive): with <see cref="Reverse"/>, the first (oldest) message of the previous
    /// page, and the page holds the messages before it; without, the last (newest), and the page holds those after it.
    /// Null starts at the newest (with Reverse) or the oldest message.
    /// </summary>
    public ChatMessage? NextMessage { get; init; }
    /// <summary>Alternatively, the ConversationSeq to continue from (exclusive); ignored when <see cref="NextMessage"/> is set.</summary>
    public long? NextConversationSeq { get; init; }
    /// <summary>Messages per page, 1–100. Default 20.</summary>
    public int Count { get; init; } = 20;
    /// <summary>
    /// As ZIM's <c>reverse</c>: true starts from the latest message and pages back to older ones; false (the default)
    /// starts from the oldest and pages forward. Either way a page lists its messages oldest first. (Until December
    /// 2026 the SDK passed this through as the wire's <c>reverse</c>, which means the other way round: docs/protocol.md.)
    /// </summary>
    public bool Reverse { get; init; }
}

/// <summary>A page of history.</summary>
/// <param name="Messages">Messages, oldest first (whichever way the query pages).</param>
/// <param name="ErrorCode">0, or a code of <see cref="ChatErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong.</param>
public sealed record HistoryQueryResult(IReadOnlyList<ChatMessage> Messages, int ErrorCode, string? ErrorMessage);

/// <summary>A conversation as this user sees it.</summary>
/// <param name="ConversationId">ID.</param>
/// <param name="ConversationType">Type.</param>
/// <param name="UnreadMessageCount">Unread count (never this user's own messages).</param>
/// <param name="LastMessage">The newest message visible to this user.</param>
/// <param name="IsMuted">Muted ("do not disturb").</param>
/// <param name="IsPinned">Pinned.</param>
/// <param name="MaxSeq">The conversation's highest sequence number.</param>
public sealed record ChatConversation(string ConversationId, ConversationType ConversationType, long UnreadMessageCount, ChatMessage? LastMessage, bool IsMuted, bool IsPinned, long MaxSeq);

/// <summary>The conversation list.</summary>
/// <param name="Conversations">Pinned first, then newest first.</param>
/// <param name="ErrorCode">0, or a code of <see cref="ChatErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong.</param>
public sealed record ConversationListResult(IReadOnlyList<ChatConversation> Conversations, int ErrorCode, string? ErrorMessage);

/// <summary>A group's information.</summary>
/// <param name="GroupId">ID.</param>
/// <param name="GroupName">Name.</param>
/// <param name="OwnerUserId">Owner.</param>
/// <param name="MemberCount">Members.</param>
public sealed record ChatGroupInfo(string GroupId, string GroupName, string OwnerUserId, int MemberCount);

/// <summary>A group operation's result.</summary>
/// <param name="Group">The group, when the operation returns it.</param>
/// <param name="ErrorCode">0, or a code of <see cref="ChatErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong.</param>
public sealed record GroupResult(ChatGroupInfo? Group, int ErrorCode, string? ErrorMessage);

/// <summary>A member list.</summary>
/// <param name="UserIds">Members.</param>
/// <param name="ErrorCode">0, or a code of <see cref="ChatErrorCodes"/>.</param>
/// <param name="ErrorMessage">What went wrong.</param>
public sealed record MemberListResult(IReadOnlyList<string> UserIds, int ErrorCode, string? ErrorMessage);

/// <summary>Messages received in one conversation.</summary>
/// <param name="ConversationId">Where they arrived.</param>
/// <param name="ConversationType">Type.</param>
/// <param name="Messages">In conversation order, each once.</param>
public sealed record MessagesReceived(string ConversationId, ConversationType ConversationType, IReadOnlyList<ChatMessage> Messages);

/// <summary>Read receipts changed for messages this user sent.</summary>
/// <param name="ConversationId">Conversation.</param>
/// <param name="ConversationType">Type.</param>
/// <param name="MessageIds">Messages now read.</param>
/// <param name="ReaderUserId">Who read them.</param>
public sealed record MessageReceiptChanged(string ConversationId, ConversationType ConversationType, IReadOnlyList<long> MessageIds, string ReaderUserId);

/// <summary>Chat connection states (ZIM numbering).</summary>
public enum ChatConnectionState
{
    /// <summary>Not connected.</summary>
    Disconnected = 0,
    /// <summary>Connecting.</summary>
    Connecting = 1,
    /// <summary>Connected and logged in.</summary>
    Connected = 2,
    /// <summary>Reconnecting after a drop.</summary>
    Reconnecting = 3,
}

/// <summary>Why the chat connection state changed (ZIM numbering).</summary>
public enum ChatConnectionEvent
{
    /// <summary>Success: logged in (Connected), or logged out (Disconnected).</summary>
    Success = 0,
    /// <summary>A login on purpose: started (Connecting), or refused by the server (Disconnected).</summary>
    ActiveLogin = 1,
    /// <summary>Login timed out.</summary>
    LoginTimeout = 2,
    /// <summary>The connection was interrupted.</summary>
    LoginInterrupted = 3,
    /// <summary>Kicked out: the same user logged in elsewhere.</summary>
    KickedOut = 4,
    /// <summary>The token expired.</summary>
    TokenExpired = 5,
}

/// <summary>The chat connection state changed.</summary>
/// <param name="State">Now.</param>
/// <param name="Event">Why.</param>
public sealed record ChatConnectionStateChanged(ChatConnectionState State, ChatConnectionEvent Event);

/// <summary>Group membership changed.</summary>
/// <param name="GroupId">Group.</param>
/// <param name="UpdateType">"add", "delete" or "dismiss".</param>
/// <param name="UserIds">Users concerned.</param>
public sealed record GroupMemberChanged(string GroupId, string UpdateType, IReadOnlyList<string> UserIds);
