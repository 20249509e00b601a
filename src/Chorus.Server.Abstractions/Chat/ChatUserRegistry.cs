using System.Collections.Concurrent;

namespace Chorus.Server.Chat;

/// <summary>Chat users logged in on this node, one connection each, keyed by (AppId, UserId).</summary>
public sealed class ChatUserRegistry
{
    private readonly ConcurrentDictionary<(uint AppId, string UserId), ChatConnectionState> _online = new();

    /// <summary>Sets the connection of a user; returns the login it replaced, if any.</summary>
    public ChatConnectionState? Set(uint appId, string userId, ChatConnectionState login)
    {
        ChatConnectionState? previous = null;
        _online.AddOrUpdate((appId, userId), login, (_, old) => { previous = old; return login; });
        return ReferenceEquals(previous, login) ? null : previous;
    }

    /// <summary>Removes a user's connection if it is still <paramref name="login"/>; returns whether it was.</summary>
    public bool Remove(uint appId, string userId, ChatConnectionState login) =>
        _online.TryRemove(new KeyValuePair<(uint, string), ChatConnectionState>((appId, userId), login));

    /// <summary>A user's login, if online here.</summary>
    public ChatConnectionState? FindLogin(uint appId, string userId) => _online.TryGetValue((appId, userId), out var s) ? s : null;

    /// <summary>A user's connection, if online.</summary>
    public IClientConnection? Find(uint appId, string userId) => _online.TryGetValue((appId, userId), out var s) ? s.Connection : null;

    /// <summary>All chat logins of this node (a moment's view).</summary>
    public IEnumerable<ChatConnectionState> All => _online.Values;
}
