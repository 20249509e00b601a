using Chorus.Protocol;

namespace Chorus.Storage;

/// <summary>
/// Groups, their members and former members (leave points), and what one user may see of a group. A task that completes means a change is durable; a storage failure, and any call after the store was disposed,
/// throws <see cref="ChatStoreException"/> (never the database's own exception types); a failed write stores nothing.
/// Part of <see cref="IChatStore"/>; its part of the conformance tests in <c>tests/Chorus.Storage.Tests</c> is <c>GroupStoreConformanceTests</c>.
/// </summary>
public interface IGroupStore
{
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
