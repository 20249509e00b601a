using Chorus.Protocol;

namespace Chorus.Storage;

/// <summary>
/// Durable chat storage: messages with per-conversation sequence numbers, each user's view of its conversations,
/// and groups. A task that completes means the change is durable. Every implementation passes the conformance tests
/// in <c>tests/Chorus.Storage.Tests</c>. A storage failure, and any call after the store was disposed, throws
/// <see cref="ChatStoreException"/> (never the database's own exception types); a failed write stores nothing.
/// </summary>
public interface IChatStore : IAsyncDisposable
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
    /// <see cref="GetGroupAccessAsync"/>), and not at all by anyone else.
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

    /// <summary>One user's conversations, pinned first, then newest first (hidden ones left out). A group conversation is
    /// listed only for members and former members; for a former member it ends where the member left (MaxSeq, last message
    /// and unread count stop there). <see cref="GetConversationAsync"/>, <see cref="GetUnreadTotalAsync"/> and
    /// <see cref="GetConversationStatesAsync"/> follow the same rule.</summary>
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

    /// <summary>Creates a group with its owner and initial members, unless the ID is in use (<see cref="GroupChange.Exists"/>),
    /// was used by a group since dismissed (<see cref="GroupChange.Dismissed"/>), the owner already owns
    /// <paramref name="maxGroupsPerOwner"/> groups (<see cref="GroupChange.OwnerLimit"/>), the owner created
    /// <paramref name="maxCreatesPerOwnerPerHour"/> groups in the last hour, dismissed ones included
    /// (<see cref="GroupChange.CreateRateLimit"/>), or the members are too many.</summary>
    Task<GroupChange> CreateGroupAsync(uint appId, string groupId, string name, string ownerUserId, IReadOnlyList<string> members, int maxMembers,
        int maxGroupsPerOwner, int maxCreatesPerOwnerPerHour, CancellationToken cancellationToken = default);

    /// <summary>Adds members (already-members are ignored); new members start with nothing unread. A former member who
    /// comes back is a member again (and sees the whole history again, as any new member does).</summary>
    Task<GroupChange> AddGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, int maxMembers, CancellationToken cancellationToken = default);

    /// <summary>Removes members. Each removed member becomes a former member, who keeps the history up to the group's
    /// sequence number at this moment (the leave point) and sees nothing sent later.</summary>
    Task<GroupChange> RemoveGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default);

    /// <summary>The owner removes members: like <see cref="RemoveGroupMembersAsync"/>, and each removed member's leave point
    /// records that it was kicked (<see cref="GroupAccess.WasKicked"/>) until a member adds it again. Returns the users
    /// actually removed (those that were members), or null if the group does not exist.</summary>
    Task<IReadOnlyList<string>?> KickGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default);

    /// <summary>Deletes a group and its memberships (its messages stay for history): every member becomes a former member
    /// with the dismissal as leave point, and the group ID cannot be used again. A group in which nothing was ever sent
    /// leaves no leave points and no conversation entries behind (no one has anything to read).</summary>
    Task<GroupChange> DismissGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default);

    /// <summary>A group, or null.</summary>
    Task<StoredGroup?> GetGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default);

    /// <summary>A group's members, in join order.</summary>
    Task<IReadOnlyList<string>> GetGroupMembersAsync(uint appId, string groupId, CancellationToken cancellationToken = default);


    /// <summary>In one read: the group (null if missing or dismissed), whether the user is a member now, and, for a former
    /// member, the sequence number at which the user left.</summary>
    Task<GroupAccess> GetGroupAccessAsync(uint appId, string groupId, string userId, CancellationToken cancellationToken = default);
}
