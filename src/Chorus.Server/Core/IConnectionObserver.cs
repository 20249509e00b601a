namespace Chorus.Server.Core;

/// <summary>Why a client connection ended, as the gateway saw it.</summary>
public enum ConnectionEndReason
{
    /// <summary>Closed by the client or the server (a close handshake).</summary>
    Normal,
    /// <summary>Silent past the heartbeat timeout.</summary>
    HeartbeatTimeout,
    /// <summary>Dropped (a socket error, a stuck reader, a protocol violation).</summary>
    Dropped,
}

/// <summary>A feature that keeps state per connection and is told when a connection ends (the gateway calls every one, in registration order).</summary>
public interface IConnectionObserver
{
    /// <summary>The connection ended: the feature ends what the connection held (logins, memberships).</summary>
    ValueTask OnConnectionClosedAsync(IClientConnection connection, ConnectionEndReason reason);
}

/// <summary>Periodic work of a feature, run about twice a second by the maintenance service (in registration order).</summary>
public interface IPeriodicWork
{
    /// <summary>Runs one round of the work.</summary>
    ValueTask RunAsync(DateTimeOffset now);
}
