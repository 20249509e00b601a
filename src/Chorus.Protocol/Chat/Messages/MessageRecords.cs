using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Sends a chat message (op <c>sendMessage</c>); answered with <see cref="SendMessageResult"/>.</summary>
public sealed record SendMessageRequest : ProtocolRequest
{
    /// <summary>Creates a <c>sendMessage</c> request.</summary>
    public SendMessageRequest() : base(Ops.SendMessage) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID (peer: the other user; a group or chat room ID).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The message (type, text/data, subType, searchedContent, extendedData, hasReceipt, priority, localMessageId...).</summary>
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
}

/// <summary>The answer to <c>sendMessage</c>.</summary>
public sealed record SendMessageResult : ProtocolResult
{
    /// <summary>The message as stored (after it is durable).</summary>
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
}

/// <summary>Queries a conversation's history (op <c>queryHistory</c>); answered with <see cref="QueryHistoryResult"/>.</summary>
public sealed record QueryHistoryRequest : ProtocolRequest
{
    /// <summary>Creates a <c>queryHistory</c> request.</summary>
    public QueryHistoryRequest() : base(Ops.QueryHistory) { }

    /// <summary>Page size, 1-100 (absent = 20).</summary>
    [JsonPropertyName("count")] public int? Count { get; set; }
    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The sequence number to start after (exclusive); absent = from the newest (or the oldest, forward).</summary>
    [JsonPropertyName("nextSeq")] public long? NextSeq { get; set; }
    /// <summary>False (default): newer to older; true: older to newer.</summary>
    [JsonPropertyName("reverse")] public bool? Reverse { get; set; }
}

/// <summary>The answer to <c>queryHistory</c>.</summary>
public sealed record QueryHistoryResult : ProtocolResult
{
    /// <summary>The page of messages.</summary>
    [JsonPropertyName("messages")] public WireChatMessage[]? Messages { get; set; }
}

/// <summary>Deletes messages for this user (op <c>deleteMessages</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record DeleteMessagesRequest : ProtocolRequest
{
    /// <summary>Creates a <c>deleteMessages</c> request.</summary>
    public DeleteMessagesRequest() : base(Ops.DeleteMessages) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The messages to delete (1-100).</summary>
    [JsonPropertyName("messageIds")] public long[]? MessageIds { get; set; }
}

/// <summary>Deletes every message of a conversation for this user (op <c>deleteAllMessages</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record DeleteAllMessagesRequest : ProtocolRequest
{
    /// <summary>Creates a <c>deleteAllMessages</c> request.</summary>
    public DeleteAllMessagesRequest() : base(Ops.DeleteAllMessages) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
}

/// <summary>Revokes one's own message (op <c>revokeMessage</c>); answered with <see cref="RevokeMessageResult"/>.</summary>
public sealed record RevokeMessageRequest : ProtocolRequest
{
    /// <summary>Creates a <c>revokeMessage</c> request.</summary>
    public RevokeMessageRequest() : base(Ops.RevokeMessage) { }

    /// <summary>The message to revoke (one id).</summary>
    [JsonPropertyName("messageIds")] public long[]? MessageIds { get; set; }
}

/// <summary>The answer to <c>revokeMessage</c>.</summary>
public sealed record RevokeMessageResult : ProtocolResult
{
    /// <summary>The revoked message (type 31).</summary>
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
}

/// <summary>Marks messages as read for their senders' receipts (op <c>sendReceiptsRead</c>); answered with <see cref="SendReceiptsReadResult"/>.</summary>
public sealed record SendReceiptsReadRequest : ProtocolRequest
{
    /// <summary>Creates a <c>sendReceiptsRead</c> request.</summary>
    public SendReceiptsReadRequest() : base(Ops.SendReceiptsRead) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The messages read (1-10).</summary>
    [JsonPropertyName("messageIds")] public long[]? MessageIds { get; set; }
}

/// <summary>The answer to <c>sendReceiptsRead</c>.</summary>
public sealed record SendReceiptsReadResult : ProtocolResult
{
    /// <summary>The messages whose receipt changed.</summary>
    [JsonPropertyName("messageIds")] public long[]? MessageIds { get; set; }
}

/// <summary>A chat message arrived, any conversation type (event <c>chatMessage</c>).</summary>
public sealed record ChatMessageEvent : ProtocolEvent
{
    /// <summary>Creates a <c>chatMessage</c> event.</summary>
    public ChatMessageEvent() : base(Ops.ChatMessage) { }

    /// <summary>The message, as its receiver sees it.</summary>
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
}

/// <summary>Read receipts changed for messages this user sent (event <c>receiptChanged</c>).</summary>
public sealed record ReceiptChangedEvent : ProtocolEvent
{
    /// <summary>Creates a <c>receiptChanged</c> event.</summary>
    public ReceiptChangedEvent() : base(Ops.ReceiptChanged) { }

    /// <summary>The reader.</summary>
    [JsonPropertyName("fromUserId")] public string? FromUserId { get; set; }
    /// <summary>The conversation type.</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID, as the receiver of the event names it.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The messages read.</summary>
    [JsonPropertyName("messageIds")] public long[]? MessageIds { get; set; }
}

/// <summary>A message was revoked (event <c>messageRevoked</c>).</summary>
public sealed record MessageRevokedEvent : ProtocolEvent
{
    /// <summary>Creates a <c>messageRevoked</c> event.</summary>
    public MessageRevokedEvent() : base(Ops.MessageRevoked) { }

    /// <summary>The revoked message (type 31).</summary>
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
}
