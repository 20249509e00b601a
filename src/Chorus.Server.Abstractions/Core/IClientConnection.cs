namespace Chorus.Server.Core;

/// <summary>How a frame may be treated when the recipient does not keep up.</summary>
public enum Delivery
{
    /// <summary>Must arrive: a connection whose queue cannot take it is disconnected rather than skip it.</summary>
    Reliable = 0,
    /// <summary>May be dropped when the recipient's queue is half full (custom commands, barrage, online counts).</summary>
    Unreliable = 1,
}

/// <summary>
/// One client connection as the room and chat cores see it: who it is and a way to send it pre-encoded frames.
/// The gateway implements it (sockets, framing and send queues stay there); tests implement it with a fake.
/// State a core keeps per connection (room logins, chat login) lives in the core, keyed by the connection
/// (see <c>ConnectionStateMap</c> in the server), not in the connection object.
/// </summary>
public interface IClientConnection
{
    /// <summary>A process-unique id (logs, webhook <c>session_id</c>, keys of per-connection state).</summary>
    long Id { get; }

    /// <summary>The app the connection belongs to (from the connect URL).</summary>
    uint AppId { get; }

    /// <summary>The remote address, for logs and per-address login throttling.</summary>
    string RemoteAddress { get; }

    /// <summary>The user the connection is bound to by its first room login, or null (one connection, one user).</summary>
    string? UserId { get; }

    /// <summary>
    /// Binds the connection to <paramref name="userId"/> if it is not bound yet. Returns false when it is already bound
    /// to another user (the caller refuses the login); true when it is now (or already was) bound to this user.
    /// </summary>
    bool TryBindUser(string userId);

    /// <summary>
    /// Queues an encoded frame for this connection without waiting. The same <see cref="EncodedFrame"/> may be handed to
    /// every recipient of a fan-out. Returns false when the frame was not queued: an unreliable frame dropped because the
    /// connection is behind, or any frame once the connection is closing (a reliable frame that does not fit closes it).
    /// </summary>
    bool Send(EncodedFrame frame, Delivery delivery);
}

/// <summary>Conveniences over <see cref="IClientConnection"/>.</summary>
public static class ClientConnectionExtensions
{
    /// <summary>Encodes a message for this one connection and queues it (for a fan-out, encode once and share the bytes).</summary>
    public static bool Send<TMessage>(this IClientConnection connection, TMessage message, Delivery delivery = Delivery.Reliable) where TMessage : Protocol.ProtocolMessage =>
        connection.Send(EncodedFrame.From(message), delivery);
}
