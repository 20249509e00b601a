using System.Collections.Concurrent;

namespace Chorus.Server.Rooms;

/// <summary>The live rooms of every app, keyed by (AppId, RoomId) so that nothing crosses between apps.</summary>
public sealed class RoomRegistry
{
    private readonly ConcurrentDictionary<(uint AppId, string RoomId), Room> _rooms = new();

    /// <summary>Finds a live room.</summary>
    public Room? Find(uint appId, string roomId) => _rooms.TryGetValue((appId, roomId), out var room) ? room : null;

    /// <summary>Gets the live room or adds the one <paramref name="create"/> makes.</summary>
    public Room GetOrAdd(uint appId, string roomId, Func<Room> create) => _rooms.GetOrAdd((appId, roomId), _ => create());

    /// <summary>Removes a room that has closed (only that exact instance).</summary>
    public void RemoveClosed(Room room) => _rooms.TryRemove(new KeyValuePair<(uint, string), Room>((room.AppId, room.RoomId), room));

    /// <summary>All live rooms (a moment's view).</summary>
    public IEnumerable<Room> All => _rooms.Values;

    /// <summary>Number of live rooms.</summary>
    public int Count => _rooms.Count;
}
