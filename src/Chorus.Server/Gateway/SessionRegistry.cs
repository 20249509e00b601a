using System.Collections.Concurrent;

namespace Chorus.Server.Gateway;

/// <summary>The open client connections of this process.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<long, ClientSession> _sessions = new();

    /// <summary>Adds a session.</summary>
    public void Add(ClientSession session) => _sessions[session.Id] = session;
    /// <summary>Removes a session.</summary>
    public void Remove(ClientSession session) => _sessions.TryRemove(session.Id, out _);
    /// <summary>All open sessions (a moment's view).</summary>
    public ICollection<ClientSession> All => _sessions.Values;
    /// <summary>Number of open sessions.</summary>
    public int Count => _sessions.Count;
}
