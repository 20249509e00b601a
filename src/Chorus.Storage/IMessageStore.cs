using Chorus.Protocol;

namespace Chorus.Storage;

/// <summary>
/// Chat messages: appending with per-conversation sequence numbers and retried-send deduplication, history as each user
/// sees it, per-user deletes, revokes and read receipts. A task that completes means a change is durable; a storage failure, and any call after the store was disposed,
/// throws <see cref="ChatStoreException"/> (never the database's own exception types); a failed write stores nothing.
/// Part of <see cref="IChatStore"/>; its part of the conformance tests in <c>tests/Chorus.Storage.Tests</c> is <c>MessageStoreConformanceTests</c>.
/// </summary>
public interface IMessageStore
{
    /// <summary>Stores a message, assigning MessageId, Seq (max + 1) and Timestamp in one write, unless the sender already
    /// sent the same LocalMessageId to the same conversation (then the earlier message is returned). The deduplication key is
    /// (app, sender, conversation type, conversation key, LocalMessageId), stored as columns: it holds across restarts, for as
    /// long as the earlier message is stored. The look-up of an earlier message and the insert are one atomic step in the
    /// store, and Seq is allocated by the store in that step, so both hold when several nodes write one store.
    /// MessageId comes from the store's <see cref="MessageIdGenerator"/>. Advances the sender's read position.</summary>
    Task<AppendResult> AppendAsync(NewMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of history as <paramref name="userId"/> sees it (deleted and cleared messages left out). A group's history is
    /// seen whole by its members, up to the sequence number at which they left by former members (see
    /// <see cref="IGroupStore.GetGroupAccessAsync"/>), and not at all by anyone else.
    /// Backward (default): messages with Seq &lt; <paramref name="startSeq"/> (or the newest), newest first.
    /// Forward: messages with Seq &gt; <paramref name="startSeq"/> (or from the oldest), oldest first.
    /// </summary>
    Task<IReadOnlyList<StoredMessage>> QueryHistoryAsync(uint appId, string userId, ConversationType type, string conversationKey,
        long? startSeq, int count, bool forward, CancellationToken cancellationToken = default);

    /// <summary>One message by id, or null.</summary>
    Task<StoredMessage?> GetMessageAsync(uint appId, long messageId, CancellationToken cancellationToken = default);

    /// <summary>Deletes messages from one user's view.</summary>
    Task DeleteMessagesAsync(uint appId, string userId, ConversationType type, string conversationKey, IReadOnlyList<long> messageIds, CancellationToken cancellationToken = default);

    /// <summary>Deletes every message so far from one user's view (and marks them read).</summary>
    Task DeleteAllMessagesAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default);

    /// <summary>Replaces a message's content with a revoke marker. Returns the revoked message, or null if missing.</summary>
    Task<StoredMessage?> RevokeAsync(uint appId, long messageId, CancellationToken cancellationToken = default);

    /// <summary>Marks receipts of messages as read; returns the messages whose receipt changed.</summary>
    Task<IReadOnlyList<StoredMessage>> MarkReceiptsReadAsync(uint appId, IReadOnlyList<long> messageIds, CancellationToken cancellationToken = default);
}
