using Chorus.Protocol;

namespace Chorus.Storage;

/// <summary>
/// Each user's view of its conversations: the list, one conversation, read positions, mute, pin, hide, unread counts. A task that completes means a change is durable; a storage failure, and any call after the store was disposed,
/// throws <see cref="ChatStoreException"/> (never the database's own exception types); a failed write stores nothing.
/// Part of <see cref="IChatStore"/>; its part of the conformance tests in <c>tests/Chorus.Storage.Tests</c> is <c>ConversationStoreConformanceTests</c>.
/// </summary>
public interface IConversationStore
{
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
}
