using System.Collections.Concurrent;
using System.Net.WebSockets;
using Chorus.Protocol;

namespace Chorus.Client;

/// <summary>
/// One logical connection to the server shared by the SDK's clients: opens the WebSocket, matches results to requests,
/// pings, and after a drop reconnects with jittered exponential backoff, then lets its owner restore its state.
/// </summary>
internal sealed class ProtocolChannel : IAsyncDisposable
{
    private readonly ChorusClientOptions _options;
    private readonly Action<ProtocolEvent> _onEvent;
    private readonly Func<CancellationToken, Task<bool>> _restore;
    private readonly Action _onReconnecting;
    private readonly Action _onGaveUp;
    private readonly Func<bool> _wantsConnection;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
    private readonly CancellationTokenSource _disposed = new();
    private volatile Connection? _connection;
    private long _nextRid;
    private int _reconnecting;
    private volatile int _maxFrameBytes = FrameLimits.DefaultMaxFrameBytes;
    private volatile int _maxTextBytes = ChatLimits.DefaultMaxTextBytes;

    /// <param name="options">Settings.</param>
    /// <param name="onEvent">Called on the receive loop for every event of <see cref="ProtocolOps.Events"/> (every frame that is not a result).</param>
    /// <param name="restore">After a reconnect: restore server-side state (log back in, sync); false when the connection failed on the way.</param>
    /// <param name="onReconnecting">The connection dropped and reconnecting starts.</param>
    /// <param name="onGaveUp">Reconnecting gave up after <see cref="ChorusClientOptions.ReconnectGiveUpAfter"/>.</param>
    /// <param name="wantsConnection">Whether the owner still needs the connection (anything logged in).</param>
    public ProtocolChannel(ChorusClientOptions options, Action<ProtocolEvent> onEvent, Func<CancellationToken, Task<bool>> restore, Action onReconnecting, Action onGaveUp, Func<bool> wantsConnection)
    {
        _options = options;
        _onEvent = onEvent;
        _restore = restore;
        _onReconnecting = onReconnecting;
        _onGaveUp = onGaveUp;
        _wantsConnection = wantsConnection;
    }

    public bool IsConnected => _connection is { IsAlive: true };

    public CancellationToken Disposed => _disposed.Token;

    /// <summary>Largest request the server accepts, in bytes: from the server's hello frame (16384 until one arrived).</summary>
    public int MaxFrameBytes => _maxFrameBytes;

    /// <summary>Largest chat text or custom message the server accepts, in bytes: from the hello frame (2048 until one arrived).</summary>
    public int MaxTextBytes => _maxTextBytes;

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming <paramref name="owner"/> once the channel is disposed.</summary>
    public void ThrowIfDisposed(object owner) => ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, owner);

    public async Task<bool> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsAlive: true }) return true;
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsAlive: true }) return true;
            if (_disposed.IsCancellationRequested) return false;
            var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol(Ops.SubProtocol);
            socket.Options.KeepAliveInterval = TimeSpan.Zero; // the protocol's own ping does this job
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(_options.WebSocketUrl, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                socket.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                return false;
            }
            var connection = new Connection(this, socket);
            _connection = connection;
            connection.Start();
            return true;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Sends a request of <paramref name="op"/> and waits for its result, read as the op's result record;
    /// failures come back as a result with <paramref name="failureCode"/>.</summary>
    /// <remarks>A request larger than the server's frame limit is not sent: it fails at once with 1000005, the code the
    /// server answers such a frame with.</remarks>
    public async Task<TResult> RequestAsync<TRequest, TResult>(RequestOp<TRequest, TResult> op, TRequest request, int failureCode, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new()
    {
        long rid = Interlocked.Increment(ref _nextRid);
        request.Rid = rid;
        byte[] bytes = ProtocolJson.ToUtf8Bytes(request);
        int maxFrameBytes = _maxFrameBytes;
        if (bytes.Length > maxFrameBytes)
            return Failure<TResult>(rid, RoomErrorCodes.FrameTooLarge, $"the request is {bytes.Length} bytes; the server accepts frames of at most {maxFrameBytes} bytes");
        var connection = _connection;
        if (connection is not { IsAlive: true }) return Failure<TResult>(rid, failureCode, "not connected");
        var pending = new PendingRequest(op, new TaskCompletionSource<ProtocolResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending[rid] = pending;
        try
        {
            if (!await connection.SendAsync(bytes, cancellationToken).ConfigureAwait(false))
                return Failure<TResult>(rid, failureCode, "the connection was lost");
            var reply = await pending.Completion.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            return reply.ErrorCode == LostMarker ? Failure<TResult>(rid, failureCode, reply.Error ?? "the connection was lost") : (TResult)reply;
        }
        catch (TimeoutException)
        {
            return Failure<TResult>(rid, failureCode, "the server did not answer in time");
        }
        finally
        {
            _pending.TryRemove(rid, out _);
        }
    }

    // Pending requests are failed with this marker, then given the caller's own failure code.
    private const int LostMarker = int.MinValue;

    private static TResult Failure<TResult>(long rid, int code, string message) where TResult : ProtocolResult, new() =>
        new() { Rid = rid, ErrorCode = code, Error = message };

    private void FailPending(string message)
    {
        foreach (var (rid, pending) in _pending)
            pending.Completion.TrySetResult(pending.Op.CreateResult(rid, LostMarker, message));
    }

    /// <summary>
    /// Decodes one frame: a result (or pong) by the result record of the request its rid names, an event by the event
    /// table; anything else is ignored. False when the frame is not a JSON object with an op.
    /// </summary>
    private bool OnFrame(ReadOnlySpan<byte> utf8, out HelloEvent? hello)
    {
        hello = null;
        Span<char> name = stackalloc char[ProtocolOps.MaxOpLength];
        // The op alone (the server writes it first, so this reads one property): an event needs nothing else before
        // its record is read, and events are most frames. Only a result reads on for the rid it answers.
        if (!ProtocolJson.TryReadOp(utf8, out var op, name)) return false;
        if (op.SequenceEqual(Ops.Result) || op.SequenceEqual(Ops.Pong))
        {
            if (ProtocolJson.TryReadOpAndRid(utf8, name, out _, out long? rid) && rid is long r && _pending.TryGetValue(r, out var pending)
                && pending.Op.TryReadResult(utf8) is { } result)
                pending.Completion.TrySetResult(result);
            return true;
        }
        if (ProtocolOps.FindEvent(op)?.TryRead(utf8) is not { } received) return true;
        if (received is HelloEvent h)
        {
            // The server's limits; a server too old to send them keeps the protocol's defaults.
            if (h.MaxFrameBytes is > 0) _maxFrameBytes = h.MaxFrameBytes.Value;
            if (h.MaxTextBytes is > 0) _maxTextBytes = h.MaxTextBytes.Value;
            hello = h;
        }
        _onEvent(received);
        return true;
    }

    /// <summary>A request waiting for its result: its op (whose result record reads the answer) and its completion.</summary>
    private sealed record PendingRequest(RequestOp Op, TaskCompletionSource<ProtocolResult> Completion);

    private void OnConnectionLost(Connection connection)
    {
        if (!ReferenceEquals(_connection, connection)) return;
        FailPending("the connection was lost");
        if (_disposed.IsCancellationRequested || !_wantsConnection()) return;
        if (Interlocked.Exchange(ref _reconnecting, 1) == 1) return;
        _ = Task.Run(ReconnectLoopAsync);
    }

    private async Task ReconnectLoopAsync()
    {
        try
        {
            _onReconnecting();
            var deadline = DateTimeOffset.UtcNow + _options.ReconnectGiveUpAfter;
            var delay = _options.ReconnectMinDelay;
            while (!_disposed.IsCancellationRequested)
            {
                // Jitter: clients dropped together do not come back together.
                var wait = TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.5 + Random.Shared.NextDouble() / 2));
                try { await Task.Delay(wait, _disposed.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }

                if (await EnsureConnectedAsync(_disposed.Token).ConfigureAwait(false) && await _restore(_disposed.Token).ConfigureAwait(false)) return;

                if (DateTimeOffset.UtcNow >= deadline)
                {
                    _onGaveUp();
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            Interlocked.Exchange(ref _reconnecting, 0);
            // The new connection may have died while state was being restored.
            if (_connection is { IsAlive: false } dead && _wantsConnection() && !_disposed.IsCancellationRequested)
                OnConnectionLost(dead);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        var connection = _connection;
        if (connection is not null) await connection.CloseAsync().ConfigureAwait(false);
        FailPending("the client was disposed");
    }

    // Heartbeats carry no rid: their pong answers nothing pending.
    private static readonly byte[] s_ping = new PingRequest().ToUtf8Bytes();

    /// <summary>One WebSocket: its receive loop and heartbeat.</summary>
    private sealed class Connection(ProtocolChannel owner, ClientWebSocket socket)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private long _lastReceiveTicks = Environment.TickCount64;
        private TimeSpan _heartbeat = TimeSpan.FromSeconds(10);
        private int _lost;

        public bool IsAlive => Volatile.Read(ref _lost) == 0 && socket.State == WebSocketState.Open;

        // The heartbeat starts with the first frame (hello), which carries the interval the server expects.
        public void Start() => _ = Task.Run(ReceiveLoopAsync);

        public async Task<bool> SendAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            try
            {
                await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await socket.SendAsync(bytes, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                    return true;
                }
                finally { _sendLock.Release(); }
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)) // a broken socket surfaces as a cancellation
            {
                Lost();
                return false;
            }
        }

        public async Task CloseAsync()
        {
            Interlocked.Exchange(ref _lost, 1);
            _stop.Cancel();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception) { socket.Abort(); }
            socket.Dispose();
        }

        private void Lost()
        {
            if (Interlocked.Exchange(ref _lost, 1) == 1) return;
            _stop.Cancel();
            socket.Abort();
            owner.OnConnectionLost(this);
        }

        private async Task ReceiveLoopAsync()
        {
            var buffer = new byte[64 * 1024];
            bool heartbeatStarted = false;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    int length = 0;
                    ValueWebSocketReceiveResult r;
                    do
                    {
                        if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                        r = await socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token).ConfigureAwait(false);
                        length += r.Count;
                    } while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);
                    if (r.MessageType == WebSocketMessageType.Close) break;
                    Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                    if (!owner.OnFrame(buffer.AsSpan(0, length), out var hello)) continue;
                    if (hello is { HeartbeatMs: > 0 }) _heartbeat = TimeSpan.FromMilliseconds(hello.HeartbeatMs.Value);
                    if (!heartbeatStarted)
                    {
                        heartbeatStarted = true;
                        _ = Task.Run(HeartbeatLoopAsync);
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException) { }
            Lost();
        }

        private async Task HeartbeatLoopAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(_heartbeat, _stop.Token).ConfigureAwait(false);
                    if (Environment.TickCount64 - Volatile.Read(ref _lastReceiveTicks) > owner._options.ServerSilenceTimeout.TotalMilliseconds)
                    {
                        Lost();
                        return;
                    }
                    await SendAsync(s_ping, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) { }
        }
    }
}
