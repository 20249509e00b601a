using Chorus.Protocol;
using Chorus.Storage;

namespace Chorus.Server.Chat;

/// <summary>Conversions between stored chat records and their wire form, as one user sees them.</summary>
public static class ChatWire
{
    /// <summary>The wire form of a stored message for <paramref name="viewer"/> (a peer conversation is named by the other user).</summary>
    public static WireChatMessage ToWire(StoredMessage m, string viewer) => new()
    {
        MessageId = m.MessageId,
        LocalMessageId = m.SenderUserId == viewer ? m.LocalMessageId : 0,
        SenderUserId = m.SenderUserId,
        ConversationId = ConversationIdFor(m.ConversationType, m.ConversationKey, viewer),
        ConversationType = m.ConversationType,
        Timestamp = m.Timestamp,
        ConversationSeq = m.Seq,
        OrderKey = m.Seq,
        Type = m.Type,
        Text = m.Text,
        SubType = m.Type == ChatMessageType.Custom ? m.SubType : null,
        SearchedContent = m.SearchedContent,
        ExtendedData = m.ExtendedData,
        HasReceipt = m.HasReceipt ? true : null,
        ReceiptStatus = m.HasReceipt ? (m.ReceiptRead ? 2 : 1) : null,
        Priority = m.Priority,
        MentionedUserIds = m.MentionedUserIds,
    };

    /// <summary>The wire form of a user's conversation.</summary>
    public static WireConversation ToWire(UserConversation c, string viewer) => new()
    {
        ConversationId = ConversationIdFor(c.ConversationType, c.ConversationKey, viewer),
        ConversationType = c.ConversationType,
        UnreadMessageCount = c.Unread,
        LastMessage = c.LastMessage is null ? null : ToWire(c.LastMessage, viewer),
        MaxSeq = c.MaxSeq,
        NotificationStatus = c.Muted ? 2 : 1,
        IsPinned = c.Pinned,
        OrderKey = c.LastMessage?.Timestamp ?? 0,
    };

    /// <summary>The conversation ID as <paramref name="viewer"/> names it.</summary>
    public static string ConversationIdFor(ConversationType type, string key, string viewer) =>
        type == ConversationType.Peer ? ConversationKeys.PeerOf(key, viewer) : key;

    /// <summary>The store key of a conversation named by <paramref name="viewer"/>.</summary>
    public static string KeyFor(ConversationType type, string conversationId, string viewer) =>
        type == ConversationType.Peer ? ConversationKeys.Peer(viewer, conversationId) : conversationId;
}
