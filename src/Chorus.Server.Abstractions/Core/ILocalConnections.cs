namespace Chorus.Server.Core;

/// <summary>
/// The client connections this node holds, as a backplane needs them: after it lost the cluster for longer than its
/// liveness timeout, a node's local view of rooms and logins is stale, and its clients reconnect and log in again.
/// The server's WebSocket gateway implements it.
/// </summary>
public interface ILocalConnections
{
    /// <summary>Stops every connection gracefully: what is queued is sent, then a 1012 close.</summary>
    void CloseAll();
}
