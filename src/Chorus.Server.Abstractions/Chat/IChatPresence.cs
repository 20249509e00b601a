using Chorus.Protocol;

namespace Chorus.Server.Chat;

/// <summary>One frame for one user, in a <see cref="IChatPresence.Send(uint, IReadOnlyList{UserFrame})"/>.</summary>
/// <param name="UserId">The receiving user.</param>
/// <param name="Frame">The encoded frame.</param>
/// <param name="Delivery">Its delivery class.</param>
public readonly record struct UserFrame(string UserId, EncodedFrame Frame, Delivery Delivery = Delivery.Reliable);

/// <summary>
/// Where chat users are logged in and how frames reach them: one chat login per user (a new login replaces the earlier
/// one wherever it is), whether a user is online, and delivery of encoded frames to listed users wherever they are
/// logged in. <see cref="InProcessChatPresence"/> (the default) knows this node only; a cluster implementation (Redis)
/// routes users to the node of their login, one message per node with recipients, never one per recipient.
/// </summary>
/// <remarks>Two sends called one after the other reach a user in that order (live chat delivery runs in commit order).</remarks>
public interface IChatPresence
{
    /// <summary>
    /// Makes <paramref name="login"/> the user's one chat login. Returns the earlier login on this node that it replaced,
    /// if any (the caller ends it and tells it); an earlier login on another node is ended and told there.
    /// </summary>
    ValueTask<ChatConnectionState?> SetAsync(uint appId, string userId, ChatConnectionState login);

    /// <summary>
    /// Removes the user's login if it is still <paramref name="login"/>; returns whether it was (false once another login
    /// replaced it). In a cluster the shared record is removed only if it still names this login.
    /// </summary>
    bool Remove(uint appId, string userId, ChatConnectionState login);

    /// <summary>The user's connection on this node, if its chat login is here.</summary>
    IClientConnection? FindLocal(uint appId, string userId);

    /// <summary>The chat logins of this node (a moment's view).</summary>
    IEnumerable<ChatConnectionState> LocalLogins { get; }

    /// <summary>Whether the user has a chat login on any node.</summary>
    ValueTask<bool> IsOnlineAsync(uint appId, string userId);

    /// <summary>Which of <paramref name="userIds"/> have a chat login on any node (in the given order).</summary>
    ValueTask<IReadOnlyList<string>> OnlineAsync(uint appId, IReadOnlyList<string> userIds);

    /// <summary>Sends one frame (encoded once) to the listed users, except <paramref name="except"/>, wherever they are logged in; offline users are skipped.</summary>
    void Send(uint appId, IReadOnlyList<string> userIds, string? except, EncodedFrame frame, Delivery delivery);

    /// <summary>Sends each listed user its own frame wherever it is logged in; offline users are skipped.</summary>
    void Send(uint appId, IReadOnlyList<UserFrame> frames);
}

/// <summary>The chat presence of one node alone: the logins of <see cref="ChatUserRegistry"/>, delivered to directly.</summary>
public sealed class InProcessChatPresence(ChatUserRegistry users) : IChatPresence
{
    /// <inheritdoc />
    public ValueTask<ChatConnectionState?> SetAsync(uint appId, string userId, ChatConnectionState login) => ValueTask.FromResult(users.Set(appId, userId, login));

    /// <inheritdoc />
    public bool Remove(uint appId, string userId, ChatConnectionState login) => users.Remove(appId, userId, login);

    /// <inheritdoc />
    public IClientConnection? FindLocal(uint appId, string userId) => users.Find(appId, userId);

    /// <inheritdoc />
    public IEnumerable<ChatConnectionState> LocalLogins => users.All;

    /// <inheritdoc />
    public ValueTask<bool> IsOnlineAsync(uint appId, string userId) => ValueTask.FromResult(users.Find(appId, userId) is not null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> OnlineAsync(uint appId, IReadOnlyList<string> userIds)
    {
        List<string>? online = null;
        foreach (var user in userIds)
            if (users.Find(appId, user) is not null) (online ??= []).Add(user);
        return ValueTask.FromResult<IReadOnlyList<string>>(online ?? (IReadOnlyList<string>)[]);
    }

    /// <inheritdoc />
    public void Send(uint appId, IReadOnlyList<string> userIds, string? except, EncodedFrame frame, Delivery delivery)
    {
        foreach (var user in userIds)
            if (user != except) users.Find(appId, user)?.Send(frame, delivery);
    }

    /// <inheritdoc />
    public void Send(uint appId, IReadOnlyList<UserFrame> frames)
    {
        foreach (var f in frames) users.Find(appId, f.UserId)?.Send(f.Frame, f.Delivery);
    }
}

/// <summary>The events chat presence sends the same way from every <see cref="IChatPresence"/>.</summary>
public static class ChatPresenceEvents
{
    /// <summary>What an earlier login is told when the same user logged in elsewhere (<c>chatKickedOut</c>, 6000021), on any node.</summary>
    public static ChatKickedOutEvent Replaced() => new() { ErrorCode = ChatErrorCodes.NotLoggedIn, Error = "the same user logged in elsewhere" };
}
