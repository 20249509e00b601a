namespace Chorus.Server.Rooms;

/// <summary>
/// A room lifetime manager could not reach the bus it keeps presence in (a cross-node manager while Redis is unreachable).
/// The room core answers the request that needed it with a retryable failure.
/// </summary>
public sealed class RoomBusException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RoomBusException(string message, Exception? inner = null) : base(message, inner) { }
}
