using System.Net.WebSockets;
using Chorus.Protocol;

namespace Chorus.Server.Gateway;

/// <summary>One client WebSocket connection: its app, its user, its room logins and its send queue (the gateway's <see cref="IClientConnection"/>).</summary>
public sealed class ClientSession : IClientConnection
{
    private static long s_nextId;
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Creates a session for an accepted socket.</summary>
    public ClientSession(uint appId, WebSocket socket, int sendQueueCapacity, string remote)
    {
        AppId = appId;
        Socket = socket;
        Remote = remote;
        Queue = new SendQueue(sendQueueCapacity);
        Queue.Overflowed += () => Abort("send queue overflow");
    }

    /// <summary>A process-unique id for logs.</summary>
    public long Id { get; } = Interlocked.Increment(ref s_nextId);
    /// <summary>The app the connection belongs to (from the connect URL).</summary>
    public uint AppId { get; }
    /// <summary>The socket.</summary>
    public WebSocket Socket { get; }
    /// <summary>The remote address, for logs.</summary>
    public string Remote { get; }
    /// <inheritdoc />
    public string RemoteAddress => Remote;
    /// <summary>The outbound queue.</summary>
    public SendQueue Queue { get; }
    /// <summary>The user this connection logged in as; set by its first room login.</summary>
    public string? UserId { get => _userId; set => _userId = value; }
    private volatile string? _userId;

    /// <inheritdoc />
    public bool TryBindUser(string userId)
    {
        string? bound = Interlocked.CompareExchange(ref _userId, userId, null);
        return bound is null || string.Equals(bound, userId, StringComparison.Ordinal);
    }
    /// <summary>Frames this connection sent in the last second (flood limit).</summary>
    public Auth.SlidingWindowLimiter? FrameLimit { get; set; }
    /// <summary>Twice <see cref="FrameLimit"/>: a connection past it is closed.</summary>
    public Auth.SlidingWindowLimiter? FrameHardLimit { get; set; }
    /// <summary>Login attempts of this connection in the last minute.</summary>
    public Auth.SlidingWindowLimiter? LoginLimit { get; set; }
    /// <summary>Cancelled when the session ends.</summary>
    public CancellationToken Closed => _closed.Token;
    /// <summary>Why the session was aborted, if it was.</summary>
    public string? AbortReason { get; private set; }

    /// <inheritdoc />
    public bool Send(EncodedFrame frame, Delivery delivery) => Queue.Enqueue(frame, delivery == Delivery.Reliable);

    /// <summary>How long a requested close waits for the peer before the connection is torn down.</summary>
    public static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The close status the writer sends after draining the queue (normal closure when null).</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }
    /// <summary>The close reason that goes with <see cref="CloseStatus"/>.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Asks the writer to send what is queued, then a close frame with this status; nothing more is queued.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        CloseStatus ??= status;
        CloseReason ??= reason;
        Queue.Complete();
        // A peer that never answers the close must not hold the connection (or a shutdown) open.
        try { _closed.CancelAfter(CloseHandshakeTimeout); } catch (ObjectDisposedException) { }
    }

    /// <summary>Tears the connection down at once (no close handshake).</summary>
    public void Abort(string reason)
    {
        AbortReason ??= reason;
        Queue.Complete();
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
        Socket.Abort();
    }

    /// <summary>Marks the session as ended.</summary>
    public void MarkClosed()
    {
        Queue.Complete();
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }
}
