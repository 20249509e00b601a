using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Chorus.Server.Core;

/// <summary>
/// State a core keeps for each connection it knows (for instance the room logins of a connection), keyed by
/// <see cref="IClientConnection.Id"/>. The core owns it: it adds the state at the connection's first request that needs
/// it and removes it when the connection closes.
/// </summary>
/// <typeparam name="TState">The per-connection state.</typeparam>
public sealed class ConnectionStateMap<TState> where TState : class
{
    private readonly ConcurrentDictionary<long, TState> _states = new();

    /// <summary>The state of <paramref name="connection"/>, created by <paramref name="create"/> when it has none.</summary>
    public TState GetOrAdd(IClientConnection connection, Func<IClientConnection, TState> create) =>
        _states.TryGetValue(connection.Id, out var state) ? state : _states.GetOrAdd(connection.Id, _ => create(connection));

    /// <summary>The state of <paramref name="connection"/>, if it has any.</summary>
    public bool TryGet(IClientConnection connection, [MaybeNullWhen(false)] out TState state) => _states.TryGetValue(connection.Id, out state);

    /// <summary>Removes and returns the state of <paramref name="connection"/> (when it closes).</summary>
    public bool TryRemove(IClientConnection connection, [MaybeNullWhen(false)] out TState state) => _states.TryRemove(connection.Id, out state);

    /// <summary>Connections with state now.</summary>
    public int Count => _states.Count;

    /// <summary>Every state now (a moment's view), for periodic sweeps.</summary>
    public IEnumerable<TState> All
    {
        get
        {
            // Enumerating the map itself takes no lock and copies nothing (Values would do both, every sweep).
            foreach (var (_, state) in _states) yield return state;
        }
    }
}
