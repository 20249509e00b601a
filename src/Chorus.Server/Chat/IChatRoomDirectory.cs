using Chorus.Protocol;

namespace Chorus.Server.Chat;

/// <summary>How a request enters a chat room.</summary>
public enum ChatRoomEntry
{
    /// <summary><c>createRoom</c>: the room must not exist yet.</summary>
    Create,
    /// <summary><c>enterRoom</c>: made when missing.</summary>
    Enter,
    /// <summary><c>joinRoom</c>: the room must exist.</summary>
    Join,
}

/// <summary>A chat room as its entering member sees it.</summary>
/// <param name="Name">The room's name.</param>
/// <param name="Count">Members now.</param>
/// <param name="CurrentSeq">The newest message's sequence number.</param>
public sealed record ChatRoomEntered(string Name, int Count, long CurrentSeq);

/// <summary>
/// Chat rooms (ZIM rooms): members, member counts, the caps on rooms per app and per user, the grace period of a member
/// whose login ended, room messages (sequence, bounded recent history, live delivery to the members) and history
/// queries. <see cref="InProcessChatRoomDirectory"/> (the default) keeps them in this node's memory; a cluster
/// implementation (Redis) shares them between nodes. Requests are validated before they get here.
/// </summary>
public interface IChatRoomDirectory
{
    /// <summary>
    /// <paramref name="user"/> creates, enters or joins a room over <paramref name="login"/>. Refusals: 6000325 (rooms per
    /// user), 6000324 (rooms per app), 6000322 (join: no such room), 6000323 (create: exists), 6000001 (full), 6000021
    /// (the login ended meanwhile).
    /// </summary>
    ValueTask<ChatResult<ChatRoomEntered>> EnterAsync(ChatConnectionState login, string user, ChatRoomEntry how, string roomId, string name);

    /// <summary><paramref name="user"/> leaves a room; the last member leaving closes it. Refusals: 6000301, 6000321.</summary>
    ValueTask<ChatError?> LeaveAsync(uint appId, string user, string roomId);

    /// <summary>The members of a room (sorted), for a member. Refusals: 6000301, 6000321.</summary>
    ValueTask<ChatResult<string[]>> MembersAsync(uint appId, string user, string roomId);

    /// <summary>
    /// Sequences (stored kinds), keeps in the recent history (when <paramref name="stored"/>) and delivers a room message
    /// to the room's members except its sender, in one order for every member. A retry of a stored message (same sender
    /// and LocalMessageId) returns the earlier copy and is not delivered again. Refusals: 6000301, and 6000321 unless
    /// <paramref name="trusted"/>.
    /// </summary>
    ValueTask<ChatResult<WireChatMessage>> SendAsync(uint appId, string sender, string roomId, WireChatMessage message, bool stored, bool trusted);

    /// <summary>A page of the recent history, for a member: backward (newest first, Seq &lt; start) or forward. Refusals: 6000301, 6000321.</summary>
    ValueTask<ChatResult<List<WireChatMessage>>> HistoryAsync(uint appId, string user, string roomId, long? startSeq, int count, bool forward);

    /// <summary>A chat login of <paramref name="user"/> began here (after the presence took it).</summary>
    ValueTask OnLoginAsync(ChatConnectionState login, string user);

    /// <summary><paramref name="user"/> logged in again over <paramref name="to"/> on this node, which replaced <paramref name="from"/>: the memberships move (the user is still in its rooms).</summary>
    void OnLoginReplaced(uint appId, string user, ChatConnectionState from, ChatConnectionState to);

    /// <summary><paramref name="user"/>'s chat <paramref name="login"/> ended (logout, close, expiry): its room memberships enter the grace period.</summary>
    void OnLoginEnded(ChatConnectionState login, string user);

    /// <summary>Periodic work: members disconnected for the grace period are removed (an emptied room closes).</summary>
    void RunMaintenance();
}
