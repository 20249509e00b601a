using System.Threading.Channels;

namespace Chorus.Server.Gateway;

/// <summary>
/// The bounded outbound queue of one connection, drained by a single writer loop. Frames are shared,
/// already-encoded byte arrays (WebSocket framing included), so a fan-out enqueues the same bytes for every recipient,
/// and the writer packs every queued frame into one socket write.
/// Unreliable frames are dropped once the queue is half full; a reliable frame that does not fit
/// marks the connection as overflowed so that it is disconnected rather than block anyone.
/// </summary>
public sealed class SendQueue
{
    private readonly Channel<EncodedFrame> _channel;
    private readonly int _capacity;
    private readonly int _unreliableLimit;
    private int _count; // frames queued; an unbounded channel plus this count is cheaper than a bounded channel's lock
    private long _dropped;
    private volatile bool _completed;
    private long _sendStartedTicks; // Environment.TickCount64 when the current socket write began; 0 when idle

    /// <summary>Creates a queue of <paramref name="capacity"/> frames.</summary>
    public SendQueue(int capacity)
    {
        _channel = Channel.CreateUnbounded<EncodedFrame>(new UnboundedChannelOptions { SingleReader = true });
        _capacity = capacity;
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
    public int Count => Volatile.Read(ref _count);

    /// <summary>Raised when a reliable frame did not fit (the session then aborts the connection).</summary>
    public event Action? Overflowed;

    /// <summary>Queues a frame without waiting. Returns false if it was dropped.</summary>
    public bool Enqueue(EncodedFrame frame, bool reliable)
    {
        if (_completed) return false; // closing: nothing more goes out, and that is no overflow
        int queued = Volatile.Read(ref _count);
        if (queued >= (reliable ? _capacity : _unreliableLimit))
        {
            if (reliable) Overflowed?.Invoke();
            else Interlocked.Increment(ref _dropped);
            return false;
        }
        Interlocked.Increment(ref _count);
        if (_channel.Writer.TryWrite(frame)) return true;
        Interlocked.Decrement(ref _count);
        return false;
    }

    /// <summary>Stops accepting frames; the writer loop ends after sending what is queued.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>Passes through the thread pool's queue a writer makes to gather frames before it writes, when the pool is busy.</summary>
    public const int GatherPasses = 2;

    /// <summary>Most bytes packed into one socket write.</summary>
    public const int MaxBatchBytes = 64 * 1024;

    /// <summary>
    /// Writes queued frames to <paramref name="stream"/> until the queue completes or the socket fails: every frame already
    /// queued goes out in one socket write (up to <see cref="MaxBatchBytes"/>). The frames written are counted in
    /// <paramref name="counters"/>, once per batch.
    /// </summary>
    public async Task RunWriterAsync(CoalescingStream stream, CancellationToken cancellationToken, GatewayCounters? counters = null)
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Let the frames of fan-outs in progress join this batch. When the thread pool has work queued (the server
            // is busy: a fan-out wakes every recipient's writer), the writer goes back through that queue before it
            // writes; by the time it runs again the next messages have usually been queued too, and one socket write
            // carries them all, which costs far less than the writes it saves (measured: docs/performance.md).
            // When nothing is queued the frame is written at once.
            if (ThreadPool.PendingWorkItemCount > 0)
                for (int pass = 0; pass < GatherPasses; pass++) await Task.Yield();
            stream.BeginBatch();
            int frames = 0;
            while (reader.TryRead(out var frame))
            {
                Interlocked.Decrement(ref _count);
                frames++;
                if (stream.Append(frame.Bytes) >= MaxBatchBytes) await FlushBatchAsync(stream, begin: true, cancellationToken).ConfigureAwait(false);
            }
            await FlushBatchAsync(stream, begin: false, cancellationToken).ConfigureAwait(false);
            counters?.AddSent(frames);
        }
    }

    private async Task FlushBatchAsync(CoalescingStream stream, bool begin, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _sendStartedTicks, Environment.TickCount64);
        await stream.EndBatchAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _sendStartedTicks, 0);
        if (begin) stream.BeginBatch();
    }
}
