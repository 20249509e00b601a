using Chorus.Protocol;

namespace Chorus.Storage;

/// <summary>A stored chat message. <see cref="ConversationKey"/> is the store's key: for peers it holds both users.</summary>
public sealed record StoredMessage
{
    /// <summary>Server-assigned id, unique and increasing.</summary>
    public required long MessageId { get; init; }
    /// <summary>App.</summary>
    public required uint AppId { get; init; }
    /// <summary>Conversation type.</summary>
    public required ConversationType ConversationType { get; init; }
    /// <summary>Store key of the conversation (see <see cref="ConversationKeys"/>).</summary>
    public required string ConversationKey { get; init; }
    /// <summary>Sequence number within the conversation (1, 2, 3... with no gaps).</summary>
    public required long Seq { get; init; }
    /// <summary>Sender.</summary>
    public required string SenderUserId { get; init; }
    /// <summary>The sender's LocalMessageId (deduplication key together with the app, the sender and the conversation).</summary>
    public required long LocalMessageId { get; init; }
    /// <summary>Type (Revoke once revoked).</summary>
    public required ChatMessageType Type { get; init; }
    /// <summary>Text or custom content.</summary>
    public string? Text { get; init; }
    /// <summary>Custom sub-type.</summary>
    public int SubType { get; init; }
    /// <summary>Custom search text.</summary>
    public string? SearchedContent { get; init; }
    /// <summary>Extended data.</summary>
    public string? ExtendedData { get; init; }
    /// <summary>Whether read receipts were asked for.</summary>
    public bool HasReceipt { get; init; }
    /// <summary>Whether a receiver has read it (receipts).</summary>
    public bool ReceiptRead { get; init; }
    /// <summary>Priority 1–3.</summary>
    public int Priority { get; init; } = 2;
    /// <summary>Server time, Unix ms.</summary>
    public required long Timestamp { get; init; }
    /// <summary>Mentioned users.</summary>
    public string[]? MentionedUserIds { get; init; }
}

/// <summary>A message to store. The store assigns MessageId, Seq and Timestamp in the same write that deduplicates.</summary>
public sealed record NewMessage
{
    /// <summary>App.</summary>
    public required uint AppId { get; init; }
    /// <summary>Conversation type (Peer or Group; rooms are not stored here).</summary>
    public required ConversationType ConversationType { get; init; }
    /// <summary>Store key of the conversation.</summary>
    public required string ConversationKey { get; init; }
    /// <summary>Sender.</summary>
    public required string SenderUserId { get; init; }
    /// <summary>The sender's LocalMessageId; 0 = no deduplication.</summary>
    public long LocalMessageId { get; init; }
    /// <summary>Type: Text or Custom.</summary>
    public required ChatMessageType Type { get; init; }
    /// <summary>Content.</summary>
    public string? Text { get; init; }
    /// <summary>Custom sub-type.</summary>
    public int SubType { get; init; }
    /// <summary>Custom search text.</summary>
    public string? SearchedContent { get; init; }
    /// <summary>Extended data.</summary>
    public string? ExtendedData { get; init; }
    /// <summary>Read receipts asked for.</summary>
    public bool HasReceipt { get; init; }
    /// <summary>Priority 1–3.</summary>
    public int Priority { get; init; } = 2;
    /// <summary>Mentioned users.</summary>
    public string[]? MentionedUserIds { get; init; }
    /// <summary>Users whose conversation entry is ensured by this write (peer: sender and receiver). Empty for groups,
    /// whose members have entries from the time they joined.</summary>
    public IReadOnlyList<string> EnsureConversationFor { get; init; } = [];
    /// <summary>
    /// Called once the message is durable, before <see cref="IMessageStore.AppendAsync"/> completes, and for the messages of one
    /// conversation in sequence order (not for a duplicate). Live delivery hangs here so that receivers see a conversation in
    /// order even when many senders write to it at once. Must not block.
    /// </summary>
    public Action<StoredMessage>? OnCommitted { get; init; }
}

/// <summary>The result of <see cref="IMessageStore.AppendAsync"/>.</summary>
/// <param name="Message">The stored message (the earlier one when this was a retry).</param>
/// <param name="Duplicate">True when the same sender had already sent this LocalMessageId: nothing new was stored.</param>
public sealed record AppendResult(StoredMessage Message, bool Duplicate);

/// <summary>One user's view of a conversation.</summary>
public sealed record UserConversation
{
    /// <summary>Conversation type.</summary>
    public required ConversationType ConversationType { get; init; }
    /// <summary>Store key.</summary>
    public required string ConversationKey { get; init; }
    /// <summary>The conversation's highest sequence number.</summary>
    public long MaxSeq { get; init; }
    /// <summary>Everything up to this sequence number is read by the user.</summary>
    public long ReadSeq { get; init; }
    /// <summary>Everything up to this sequence number is deleted from the user's view.</summary>
    public long ClearedSeq { get; init; }
    /// <summary>Muted ("do not disturb").</summary>
    public bool Muted { get; init; }
    /// <summary>Pinned.</summary>
    public bool Pinned { get; init; }
    /// <summary>The newest message the user can see.</summary>
    public StoredMessage? LastMessage { get; init; }
    /// <summary>Unread count: MaxSeq − max(ReadSeq, ClearedSeq); sending advances the sender's ReadSeq.</summary>
    public long Unread => Math.Max(0, MaxSeq - Math.Max(ReadSeq, ClearedSeq));
}

/// <summary>One user's view of a conversation and the user's unread total, read together for notifications.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Conversation">The user's view of the conversation, without its last message.</param>
/// <param name="UnreadTotal">The user's unread total over all unmuted, visible conversations.</param>
public sealed record UserConversationState(string UserId, UserConversation Conversation, long UnreadTotal);

/// <summary>A group.</summary>
/// <param name="GroupId">Group ID.</param>
/// <param name="Name">Name.</param>
/// <param name="OwnerUserId">Owner.</param>
/// <param name="CreateTime">Unix ms.</param>
/// <param name="MemberCount">Members now.</param>
public sealed record StoredGroup(string GroupId, string Name, string OwnerUserId, long CreateTime, int MemberCount);

/// <summary>Outcome of a group membership change.</summary>
public enum GroupChange
{
    /// <summary>Done.</summary>
    Done,
    /// <summary>No such group.</summary>
    Missing,
    /// <summary>The group exists already (create).</summary>
    Exists,
    /// <summary>The group would exceed its member limit.</summary>
    Full,
    /// <summary>Create: the owner already owns as many groups as allowed.</summary>
    OwnerLimit,
    /// <summary>Create: a group with this ID existed and was dismissed; the ID is not used again.</summary>
    Dismissed,
    /// <summary>Create: the owner created as many groups in the last hour as allowed (dismissed ones count).</summary>
    CreateRateLimit,
}

/// <summary>What one user may see of one group, read at once (see <see cref="IGroupStore.GetGroupAccessAsync"/>).</summary>
/// <param name="Group">The group, or null if it does not exist (never did, or was dismissed).</param>
/// <param name="IsMember">Whether the user is a member now.</param>
/// <param name="LeftAtSeq">For a former member (left, kicked, or member when the group was dismissed): the group's sequence
/// number when the user left; the user sees messages up to it and none after. Null for members and for users never in the group.</param>
/// <param name="WasKicked">For a former member: whether the owner removed it (kicked), rather than it leaving or the group being dismissed.</param>
public sealed record GroupAccess(StoredGroup? Group, bool IsMember, long? LeftAtSeq, bool WasKicked = false)
{
    /// <summary>Whether the user may read the group's conversation (history, own conversation entry): members and former members.</summary>
    public bool MayRead => IsMember || LeftAtSeq is not null;
}

/// <summary>Store keys of conversations.</summary>
public static class ConversationKeys
{
    /// <summary>The key of the peer conversation between two users: the same for both sides.</summary>
    public static string Peer(string userA, string userB) =>
        string.CompareOrdinal(userA, userB) <= 0 ? userA + "\n" + userB : userB + "\n" + userA;

    /// <summary>The other user of a peer conversation key, as <paramref name="me"/> sees it.</summary>
    public static string PeerOf(string key, string me)
    {
        int nl = key.IndexOf('\n');
        string a = key[..nl], b = key[(nl + 1)..];
        return a == me ? b : a;
    }
}
