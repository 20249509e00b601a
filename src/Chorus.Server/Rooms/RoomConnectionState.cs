using System.Collections.Concurrent;

namespace Chorus.Server.Rooms;

/// <summary>The room logins of one connection, held by the room core (keyed by the connection, not stored in it).</summary>
public sealed class RoomConnectionState
{
    /// <summary>Room logins of this connection, by RoomId (sized for the usual one room: a connection is mostly idle).</summary>
    public ConcurrentDictionary<string, RoomMember> Rooms { get; } = new(concurrencyLevel: 1, capacity: 2, StringComparer.Ordinal);
}
