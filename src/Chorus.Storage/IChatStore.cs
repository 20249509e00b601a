using Chorus.Protocol;

namespace Chorus.Storage;

/// <summary>
/// Durable chat storage: messages with per-conversation sequence numbers, each user's view of its conversations,
/// and groups. A task that completes means the change is durable. Every implementation passes the conformance tests
/// in <c>tests/Chorus.Storage.Tests</c>.
/// </summary>
public interface IChatStore : IAsyncDisposable
{
    /// <summary>Stores a message, assigning MessageId, Seq (max + 1) and Timestamp in one write, unless the sender
    /// already sent the same LocalMessageId (then the earlier message is returned). Advances the sender's read position.</summary>
    Task<AppendResult> AppendAsync(NewMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of history as <paramref name="userId"/> sees it (deleted and cleared messages left out).
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

    /// <summary>One user's conversations, pinned first, then newest first (hidden ones left out).</summary>
    Task<IReadOnlyList<UserConversation>> QueryConversationsAsync(uint appId, string userId, int count, CancellationToken cancellationToken = default);

    /// <summary>One user's view of one conversation, or null if the user has none.</summary>
    Task<UserConversation?> GetConversationAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default);

    /// <summary>Marks everything up to <paramref name="seq"/> (or the newest, when null) as read.</summary>
    Task MarkReadAsync(uint appId, string userId, ConversationType type, string conversationKey, long? seq, CancellationToken cancellationToken = default);

    /// <summary>Mutes or unmutes a conversation for a user (creating the user's entry if needed).</summary>
    Task SetMutedAsync(uint appId, string userId, ConversationType type, string conversationKey, bool muted, CancellationToken cancellationToken = default);

    /// <summary>Pins or unpins a conversation for a user.</summary>
    Task SetPinnedAsync(uint appId, string userId, ConversationType type, string conversationKey, bool pinned, CancellationToken cancellationToken = default);

    /// <summary>Hides a conversation from a user's list until a new message arrives.</summary>
    Task HideConversationAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default);

    /// <summary>The sum of unread counts over a user's unmuted, visible conversations.</summary>
    Task<long> GetUnreadTotalAsync(uint appId, string userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// In one read, for each of <paramref name="userIds"/> that has the conversation: the user's view of it (without
    /// <see cref="UserConversation.LastMessage"/>, which the caller knows when it has just appended) and the user's
    /// unread total, as <see cref="GetConversationAsync"/> and <see cref="GetUnreadTotalAsync"/> would give them.
    /// </summary>
    Task<IReadOnlyList<UserConversationState>> GetConversationStatesAsync(uint appId, IReadOnlyList<string> userIds, ConversationType type, string conversationKey,
        CancellationToken cancellationToken = default);

    /// <summary>Creates a group with its owner and initial members.</summary>
    Task<GroupChange> CreateGroupAsync(uint appId, string groupId, string name, string ownerUserId, IReadOnlyList<string> members, int maxMembers, CancellationToken cancellationToken = default);

    /// <summary>Adds members (already-members are ignored); new members start with nothing unread.</summary>
    Task<GroupChange> AddGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, int maxMembers, CancellationToken cancellationToken = default);

    /// <summary>Removes members.</summary>
    Task<GroupChange> RemoveGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default);

    /// <summary>Deletes a group and its memberships (its messages stay for history).</summary>
    Task<GroupChange> DismissGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default);

    /// <summary>A group, or null.</summary>
    Task<StoredGroup?> GetGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default);

    /// <summary>A group's members, in join order.</summary>
    Task<IReadOnlyList<string>> GetGroupMembersAsync(uint appId, string groupId, CancellationToken cancellationToken = default);

    /// <summary>Whether a user is a member of a group.</summary>
    Task<bool> IsGroupMemberAsync(uint appId, string groupId, string userId, CancellationToken cancellationToken = default);
}
