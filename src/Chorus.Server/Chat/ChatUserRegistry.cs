using System.Collections.Concurrent;
using Chorus.Server.Gateway;

namespace Chorus.Server.Chat;

/// <summary>Chat users logged in on this node, one connection each, keyed by (AppId, UserId).</summary>
public sealed class ChatUserRegistry
{
    private readonly ConcurrentDictionary<(uint AppId, string UserId), ClientSession> _online = new();

    /// <summary>Sets the connection of a user; returns the connection it replaced, if any.</summary>
    public ClientSession? Set(uint appId, string userId, ClientSession session)
    {
        ClientSession? previous = null;
        _online.AddOrUpdate((appId, userId), session, (_, old) => { previous = old; return session; });
        return ReferenceEquals(previous, session) ? null : previous;
    }

    /// <summary>Removes a user's connection if it is still <paramref name="session"/>.</summary>
    public void Remove(uint appId, string userId, ClientSession session) =>
        _online.TryRemove(new KeyValuePair<(uint, string), ClientSession>((appId, userId), session));

    /// <summary>A user's connection, if online.</summary>
    public ClientSession? Find(uint appId, string userId) => _online.TryGetValue((appId, userId), out var s) ? s : null;

    /// <summary>All online chat sessions (a moment's view).</summary>
    public IEnumerable<KeyValuePair<(uint AppId, string UserId), ClientSession>> All => _online;
}
