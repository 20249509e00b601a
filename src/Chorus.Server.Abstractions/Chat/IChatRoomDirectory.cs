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
/// queries. <c>InProcessChatRoomDirectory</c> (in the server) (the default) keeps them in this node's memory; a cluster
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

/// <summary>The refusals of chat-room calls, the same from every <see cref="IChatRoomDirectory"/>.</summary>
public static class ChatRoomErrors
{
    /// <summary>The user is in as many rooms as allowed (6000325).</summary>
    public static ChatError RoomsPerUser(int max) => new(ChatErrorCodes.JoinedRoomCountLimit, $"this user is in {max} chat rooms, the most allowed");
    /// <summary>The app has as many rooms as allowed (6000324).</summary>
    public static ChatError RoomsPerApp => new(ChatErrorCodes.RoomCountLimit, "the app has as many chat rooms as allowed");
    /// <summary>joinRoom of a missing room (6000322).</summary>
    public static ChatError JoinMissing => new(ChatErrorCodes.JoinRoomMissing, "no such room to join");
    /// <summary>createRoom of an existing room (6000323).</summary>
    public static ChatError Exists => new(ChatErrorCodes.RoomExists, "the room exists already");
    /// <summary>The login ended while the entry ran (6000021).</summary>
    public static ChatError LoginEnded => new(ChatErrorCodes.NotLoggedIn, "chat login required");
    /// <summary>The room has as many members as allowed (6000001).</summary>
    public static ChatError Full => ChatError.BadParameter("the room is full");
    /// <summary>A non-member's send (6000321).</summary>
    public static ChatError SendNotMember => new(ChatErrorCodes.NotInRoom, "only members may send to a room");
    /// <summary>A non-member's history query (6000321).</summary>
    public static ChatError ReadNotMember => new(ChatErrorCodes.NotInRoom, "only members may read a room");
}

/// <summary>The wire form of chat-room messages, the same from every <see cref="IChatRoomDirectory"/>.</summary>
public static class ChatRoomWire
{
    /// <summary>Commands and barrage may be dropped for a slow member; other kinds must arrive.</summary>
    public static Delivery DeliveryOf(WireChatMessage message) =>
        message.Type is ChatMessageType.Command or ChatMessageType.Barrage ? Delivery.Unreliable : Delivery.Reliable;

    /// <summary>The <c>chatMessage</c> event every member receives (the same for all), encoded.</summary>
    public static EncodedFrame Encode(WireChatMessage message) => EncodedFrame.From(Event(message));

    /// <summary>The <c>chatMessage</c> event every member receives (the same for all).</summary>
    public static ChatMessageEvent Event(WireChatMessage m) => new()
    {
        Message = new WireChatMessage
        {
            MessageId = m.MessageId, SenderUserId = m.SenderUserId, ConversationId = m.ConversationId, ConversationType = m.ConversationType,
            Timestamp = m.Timestamp, Type = m.Type, Text = m.Text, Data = m.Data, SubType = m.SubType, SearchedContent = m.SearchedContent,
            ExtendedData = m.ExtendedData, Priority = m.Priority, MentionedUserIds = m.MentionedUserIds,
            ConversationSeq = m.ConversationSeq, OrderKey = m.OrderKey,
        },
    };
}
