using System.Buffers;

namespace Chorus.Server.Gateway;

/// <summary>
/// The socket stream under a connection's WebSocket. Between <see cref="BeginBatch"/> and <see cref="EndBatchAsync"/> it
/// collects every frame the WebSocket writes and hands them to the socket in one write, because
/// <see cref="System.Net.WebSockets.WebSocket.SendAsync(ArraySegment{byte}, System.Net.WebSockets.WebSocketMessageType, bool, CancellationToken)"/>
/// writes each frame on its own: with fan-out, packing what is queued into one write is the main saving of kernel time.
/// Outside a batch (close frames, pongs) writes go straight through.
/// </summary>
public sealed class CoalescingStream(Stream inner) : Stream
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _socketWrite = new(1, 1); // orders writes to the socket itself
    private PooledByteBuffer _batch = new();  // guarded by lock (_lock); holds no array between batches
    private PooledByteBuffer _spare = new();
    private bool _batching;                                     // guarded by lock (_lock)

    /// <summary>Adds an already-framed WebSocket frame to the current batch; returns the batch's size.</summary>
    public int Append(ReadOnlySpan<byte> frame)
    {
        lock (_lock)
        {
            _batch.Write(frame);
            return _batch.WrittenCount;
        }
    }

    /// <summary>Starts collecting writes.</summary>
    public void BeginBatch()
    {
        lock (_lock) _batching = true;
    }

    /// <summary>Writes what was collected in one socket write and stops collecting.</summary>
    public async Task EndBatchAsync(CancellationToken cancellationToken)
    {
        PooledByteBuffer full;
        lock (_lock)
        {
            // Swap buffers so that the collecting side never waits for the socket.
            _batching = false;
            full = _batch;
            _batch = _spare;
            _spare = full;
        }
        await _socketWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (full.WrittenCount > 0) await inner.WriteAsync(full.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            full.Release(); // an idle connection keeps no buffer
            _socketWrite.Release();
        }
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_batching)
            {
                // The hot path: a frame of a batch is copied, nothing else (no await, no socket call).
                _batch.Write(buffer.Span);
                return ValueTask.CompletedTask;
            }
        }
        return WriteThroughAsync(buffer, cancellationToken);
    }

    private async ValueTask WriteThroughAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await _socketWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _socketWrite.Release();
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_lock) if (_batching) return Task.CompletedTask;
        return inner.FlushAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc />
    public override bool CanRead => true;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => true;
    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc />
    public override void Flush() => inner.Flush();
    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
