using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Lists the user's conversations (op <c>queryConversations</c>); answered with <see cref="QueryConversationsResult"/>.</summary>
public sealed record QueryConversationsRequest : ProtocolRequest
{
    /// <summary>Creates a <c>queryConversations</c> request.</summary>
    public QueryConversationsRequest() : base(Ops.QueryConversations) { }

    /// <summary>Most conversations to return, 1-100 (absent = 100).</summary>
    [JsonPropertyName("count")] public int? Count { get; set; }
}

/// <summary>The answer to <c>queryConversations</c>.</summary>
public sealed record QueryConversationsResult : ProtocolResult
{
    /// <summary>The conversations.</summary>
    [JsonPropertyName("conversations")] public WireConversation[]? Conversations { get; set; }
    /// <summary>The user's total unread count.</summary>
    [JsonPropertyName("unreadTotal")] public long? UnreadTotal { get; set; }
}

/// <summary>Clears a conversation's unread count (op <c>clearUnread</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record ClearUnreadRequest : ProtocolRequest
{
    /// <summary>Creates a <c>clearUnread</c> request.</summary>
    public ClearUnreadRequest() : base(Ops.ClearUnread) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
}

/// <summary>Deletes a conversation from the user's list (op <c>deleteConversation</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record DeleteConversationRequest : ProtocolRequest
{
    /// <summary>Creates a <c>deleteConversation</c> request.</summary>
    public DeleteConversationRequest() : base(Ops.DeleteConversation) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
}

/// <summary>Mutes or unmutes a conversation (op <c>setNotificationStatus</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record SetNotificationStatusRequest : ProtocolRequest
{
    /// <summary>Creates a <c>setNotificationStatus</c> request.</summary>
    public SetNotificationStatusRequest() : base(Ops.SetNotificationStatus) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>True to mute (absent = unmute).</summary>
    [JsonPropertyName("muted")] public bool? Muted { get; set; }
}

/// <summary>Pins or unpins a conversation (op <c>pinConversation</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record PinConversationRequest : ProtocolRequest
{
    /// <summary>Creates a <c>pinConversation</c> request.</summary>
    public PinConversationRequest() : base(Ops.PinConversation) { }

    /// <summary>The conversation type (absent = peer).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The conversation ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>True to pin (absent = unpin).</summary>
    [JsonPropertyName("pinned")] public bool? Pinned { get; set; }
}

/// <summary>A conversation changed: new message, read, deleted... (event <c>conversationChanged</c>).</summary>
public sealed record ConversationChangedEvent : ProtocolEvent
{
    /// <summary>Creates a <c>conversationChanged</c> event.</summary>
    public ConversationChangedEvent() : base(Ops.ConversationChanged) { }

    /// <summary>The conversation as the receiver sees it.</summary>
    [JsonPropertyName("conversation")] public WireConversation? Conversation { get; set; }
}

/// <summary>The total unread count changed (event <c>unreadTotal</c>; unmuted conversations only).</summary>
public sealed record UnreadTotalEvent : ProtocolEvent
{
    /// <summary>Creates an <c>unreadTotal</c> event.</summary>
    public UnreadTotalEvent() : base(Ops.UnreadTotalChanged) { }

    /// <summary>The user's total unread count.</summary>
    [JsonPropertyName("unreadTotal")] public long? UnreadTotal { get; set; }
}
