using System.Net.WebSockets;
using System.Threading.Channels;

namespace Chorus.Server.Gateway;

/// <summary>
/// The bounded outbound queue of one connection, drained by a single writer loop. Frames are shared,
/// already-encoded byte arrays, so a fan-out enqueues the same bytes for every recipient.
/// Unreliable frames are dropped once the queue is half full; a reliable frame that does not fit
/// marks the connection as overflowed so that it is disconnected rather than block anyone.
/// </summary>
public sealed class SendQueue
{
    private readonly Channel<OutboundFrame> _channel;
    private readonly int _unreliableLimit;
    private long _dropped;
    private volatile bool _completed;
    private long _sendStartedTicks; // Environment.TickCount64 when the current socket write began; 0 when idle

    /// <summary>Creates a queue of <paramref name="capacity"/> frames.</summary>
    public SendQueue(int capacity)
    {
        _channel = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _unreliableLimit = Math.Max(1, capacity / 2);
    }

    /// <summary>Unreliable frames dropped because the client did not keep up.</summary>
    public long DroppedUnreliable => Interlocked.Read(ref _dropped);

    /// <summary>How long the current socket write has been waiting for the peer (zero when the writer is idle).</summary>
    public TimeSpan CurrentSendDuration
    {
        get
        {
            long started = Volatile.Read(ref _sendStartedTicks);
            return started == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
        }
    }

    /// <summary>Frames waiting in the queue.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Raised (once) when a reliable frame did not fit.</summary>
    public event Action? Overflowed;

    /// <summary>Queues a frame without waiting. Returns false if it was dropped.</summary>
    public bool Enqueue(byte[] frame, bool reliable)
    {
        if (!reliable && _channel.Reader.Count >= _unreliableLimit)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        if (_channel.Writer.TryWrite(new OutboundFrame(frame)))
            return true;
        if (_completed) return false; // closing: nothing more goes out, and that is no overflow
        if (reliable) Overflowed?.Invoke();
        else Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Stops accepting frames; the writer loop ends after sending what is queued.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>Most bytes packed into one socket write.</summary>
    public const int MaxBatchBytes = 64 * 1024;

    /// <summary>
    /// Writes queued frames to the socket until the queue completes or the socket fails. With a <paramref name="batch"/>
    /// stream under the socket, every frame already queued goes out in one socket write (up to <see cref="MaxBatchBytes"/>).
    /// </summary>
    public async Task RunWriterAsync(WebSocket socket, CancellationToken cancellationToken, CoalescingStream? batch = null)
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batch?.BeginBatch();
            while (reader.TryRead(out var frame))
            {
                if (batch is null) Volatile.Write(ref _sendStartedTicks, Environment.TickCount64);
                await socket.SendAsync(frame.Bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                if (batch is null) Volatile.Write(ref _sendStartedTicks, 0);
                else if (batch.BufferedBytes >= MaxBatchBytes) await FlushBatchAsync(batch, begin: true, cancellationToken).ConfigureAwait(false);
            }
            if (batch is not null) await FlushBatchAsync(batch, begin: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FlushBatchAsync(CoalescingStream batch, bool begin, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _sendStartedTicks, Environment.TickCount64);
        await batch.EndBatchAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _sendStartedTicks, 0);
        if (begin) batch.BeginBatch();
    }

    private readonly record struct OutboundFrame(byte[] Bytes);
}
