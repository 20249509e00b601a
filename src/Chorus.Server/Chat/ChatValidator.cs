using System.Text;
using Chorus.Protocol;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// The parameter checks of chat requests, each returning the typed refusal (6000001 unless stated) or null when the
/// input is valid. Access checks (membership, ownership) belong to the parts that own the data, not here.
/// </summary>
public sealed class ChatValidator(IOptions<ChatOptions> options)
{
    private readonly int _maxTextBytes = options.Value.ChatMaxTextBytes;

    /// <summary>
    /// A message's content against the limits (<see cref="ChatLimits.ValidateMessage(WireChatMessage, ConversationType, int, out bool)"/>,
    /// which the SDK shares; text and custom up to <see cref="ChatOptions.ChatMaxTextBytes"/>). Content over its
    /// byte limit is <see cref="ChatErrorKind.TooLarge"/>.
    /// </summary>
    public ChatError? Message(WireChatMessage message, ConversationType type) =>
        ChatLimits.ValidateMessage(message, type, _maxTextBytes, out bool tooLarge) is { } problem
            ? new ChatError(ChatErrorCodes.BadParameter, problem, tooLarge ? ChatErrorKind.TooLarge : ChatErrorKind.Other)
            : null;

    /// <summary>A chat login's UserId (1-64 bytes, no control, invisible or direction-changing characters) and UserName (at most 255 bytes).</summary>
    public static ChatError? Login(string userId, string? userName)
    {
        if (RoomLimits.ValidateUserId(userId) != 0) return ChatError.BadParameter("UserId must be 1-64 bytes without control, invisible or direction-changing characters");
        if (!RoomLimits.IsValidUserName(userName)) return ChatError.BadParameter("UserName is longer than 255 bytes");
        return null;
    }

    /// <summary>A conversation ID for its type (<see cref="ChatLimits.IsValidConversationId"/>).</summary>
    public static ChatError? ConversationId(string conversationId, ConversationType type) => Refusal(ChatLimits.ConversationProblem(conversationId, type));

    /// <summary>A message to send from <paramref name="sender"/>: present, to a valid conversation, not to oneself, within the limits.</summary>
    public ChatError? Send(string sender, ConversationType type, string conversationId, WireChatMessage? message)
    {
        if (message is null) return ChatError.BadParameter("message is missing");
        if (ConversationId(conversationId, type) is { } bad) return bad;
        if (type == ConversationType.Peer && conversationId == sender) return ChatError.BadParameter("a peer message needs another user");
        return Message(message, type);
    }

    /// <summary>A peer or group conversation (the operations on stored conversations; rooms have none).</summary>
    public static ChatError? StoredConversation(string conversationId, ConversationType type) => Refusal(ChatLimits.StoredConversationProblem(conversationId, type));

    /// <summary>A page size: 1-<see cref="ChatLimits.MaxHistoryCount"/>.</summary>
    public static ChatError? PageCount(int count) => Refusal(ChatLimits.PageCountProblem(count));

    /// <summary>Message IDs to delete: 1-<see cref="ChatLimits.MaxHistoryCount"/>.</summary>
    public static ChatError? MessageIdsToDelete(long[]? ids) => Refusal(ChatLimits.MessageIdsProblem(ids?.Length ?? 0, ChatLimits.MaxHistoryCount));

    /// <summary>The message ID to revoke: exactly one.</summary>
    public static ChatError? MessageIdToRevoke(long[]? ids) =>
        ids is [_] ? null : ChatError.BadParameter("messageIds must hold the one message to revoke");

    /// <summary>Message IDs to send read receipts for: 1-<see cref="ChatLimits.MaxReceiptMessages"/>.</summary>
    public static ChatError? ReceiptMessageIds(long[]? ids) => Refusal(ChatLimits.MessageIdsProblem(ids?.Length ?? 0, ChatLimits.MaxReceiptMessages));

    /// <summary>A group request's ID and member list (every member a valid UserId).</summary>
    public static ChatError? Group(string groupId, string[] members) => Refusal(ChatLimits.GroupProblem(groupId, members, name: null));

    /// <summary>A group name: at most <see cref="ChatLimits.MaxNameBytes"/> bytes.</summary>
    public static ChatError? GroupName(string name) => Refusal(ChatLimits.NameProblem(name, "group"));

    /// <summary>Members to invite: at least one.</summary>
    public static ChatError? MembersToInvite(string[] members) =>
        members.Length == 0 ? ChatError.BadParameter("members is empty") : null;

    /// <summary>Members to kick: at least one, and not the caller.</summary>
    public static ChatError? MembersToKick(string[] members, string caller) =>
        members.Length == 0 || members.Contains(caller) ? ChatError.BadParameter("members must name others to kick") : null;

    /// <summary>A chat room request's ID and name (at most <see cref="ChatLimits.MaxNameBytes"/> bytes).</summary>
    public static ChatError? Room(string roomId, string name) => Refusal(ChatLimits.RoomProblem(roomId, name));

    private static ChatError? Refusal(string? problem) => problem is null ? null : ChatError.BadParameter(problem);
}
