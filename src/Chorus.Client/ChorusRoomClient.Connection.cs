using System.Net.WebSockets;
using Chorus.Protocol;

namespace Chorus.Client;

public sealed partial class ChorusRoomClient
{
    private async Task<Connection?> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        var current = _connection;
        if (current is { IsAlive: true }) return current;
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _connection;
            if (current is { IsAlive: true }) return current;
            if (_disposed.IsCancellationRequested) return null;
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
                return null;
            }
            var connection = new Connection(this, socket);
            _connection = connection;
            connection.Start();
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<Frame> RequestAsync(Frame frame, CancellationToken cancellationToken)
    {
        var connection = _connection;
        if (connection is not { IsAlive: true }) return Failure(frame, "not connected");
        long rid = Interlocked.Increment(ref _nextRid);
        frame.Rid = rid;
        var tcs = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[rid] = tcs;
        try
        {
            if (!await connection.SendAsync(frame.ToUtf8Bytes(), cancellationToken).ConfigureAwait(false))
                return Failure(frame, "the connection was lost");
            return await tcs.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Failure(frame, "the server did not answer in time");
        }
        finally
        {
            _pending.TryRemove(rid, out _);
        }
    }

    private static Frame Failure(Frame request, string message) =>
        new() { Op = Ops.Result, Rid = request.Rid, ErrorCode = RoomErrorCodes.SendFailed, Error = message, RoomId = request.RoomId };

    private void FailPending(string message)
    {
        foreach (var (rid, tcs) in _pending)
            tcs.TrySetResult(new Frame { Op = Ops.Result, Rid = rid, ErrorCode = RoomErrorCodes.SendFailed, Error = message });
    }

    private void OnFrame(Frame frame)
    {
        switch (frame.Op)
        {
            case Ops.Result:
            case Ops.Pong:
                if (frame.Rid is long rid && _pending.TryGetValue(rid, out var tcs)) tcs.TrySetResult(frame);
                break;
            case Ops.CustomCommand:
                Raise(CustomCommandReceived, new CustomCommandReceived(frame.RoomId ?? "", Sender(frame), frame.Content ?? ""));
                break;
            case Ops.Broadcast:
                Raise(BroadcastMessageReceived, new BroadcastMessagesReceived(frame.RoomId ?? "",
                    [new BroadcastMessageInfo(frame.Content ?? "", frame.MessageId ?? 0, frame.SendTime ?? 0, Sender(frame))]));
                break;
            case Ops.Barrage:
                Raise(BarrageMessageReceived, new BarrageMessagesReceived(frame.RoomId ?? "",
                    [new BarrageMessageInfo(frame.Content ?? "", frame.BarrageId ?? "", frame.SendTime ?? 0, Sender(frame))]));
                break;
            case Ops.UserUpdate:
                Raise(RoomUserUpdated, new RoomUserUpdated(frame.RoomId ?? "", frame.UpdateType == "delete" ? RoomUpdateType.Delete : RoomUpdateType.Add,
                    (frame.Users ?? []).Select(u => new RoomUser(u.UserId, u.UserName)).ToArray()));
                break;
            case Ops.OnlineCount:
                Raise(RoomOnlineUserCountUpdated, new RoomOnlineUserCountUpdated(frame.RoomId ?? "", frame.Count ?? 0));
                break;
            case Ops.RoomState:
                if (frame.RoomId is not null && frame.Reason == (int)RoomStateReason.KickOut) _rooms.TryRemove(frame.RoomId, out _);
                RaiseState(frame.RoomId ?? "", (RoomStateReason)(frame.Reason ?? 0), frame.ErrorCode ?? 0, frame.ExtendedData ?? frame.Error);
                break;
            case Ops.TokenWillExpire:
                Raise(RoomTokenWillExpire, new RoomTokenWillExpire(frame.RoomId ?? "", frame.SecondsLeft ?? 0));
                break;
            case Ops.ExtraInfo:
                Raise(RoomExtraInfoUpdated, new RoomExtraInfoUpdated(frame.RoomId ?? "", frame.Key ?? "", frame.Value ?? "", new RoomUser(frame.FromUserId ?? "")));
                break;
        }
    }

    private static RoomUser Sender(Frame frame) => new(frame.FromUserId ?? "", frame.FromUserName ?? frame.FromUserId ?? "");

    private void OnConnectionLost(Connection connection)
    {
        if (!ReferenceEquals(_connection, connection)) return;
        FailPending("the connection was lost");
        if (_disposed.IsCancellationRequested || _rooms.IsEmpty) return;
        if (Interlocked.Exchange(ref _reconnecting, 1) == 1) return;
        _ = Task.Run(ReconnectLoopAsync);
    }

    private async Task ReconnectLoopAsync()
    {
        try
        {
            foreach (var roomId in _rooms.Keys) RaiseState(roomId, RoomStateReason.Reconnecting, 0, null);
            var deadline = DateTimeOffset.UtcNow + _options.ReconnectGiveUpAfter;
            var delay = _options.ReconnectMinDelay;
            while (!_disposed.IsCancellationRequested)
            {
                // Full jitter: clients dropped together do not come back together.
                var wait = TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.5 + Random.Shared.NextDouble() / 2));
                try { await Task.Delay(wait, _disposed.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }

                var connection = await EnsureConnectedAsync(_disposed.Token).ConfigureAwait(false);
                if (connection is not null && await LogBackInAsync().ConfigureAwait(false)) return;

                if (DateTimeOffset.UtcNow >= deadline)
                {
                    foreach (var roomId in _rooms.Keys)
                        if (_rooms.TryRemove(roomId, out _)) RaiseState(roomId, RoomStateReason.ReconnectFailed, RoomErrorCodes.SendFailed, "could not reconnect");
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            Interlocked.Exchange(ref _reconnecting, 0);
            // The new connection may have died while we were logging back in.
            if (_connection is { IsAlive: false } dead && !_rooms.IsEmpty && !_disposed.IsCancellationRequested)
                OnConnectionLost(dead);
        }
    }

    /// <summary>Logs back into every room; false when the connection failed on the way (try again).</summary>
    private async Task<bool> LogBackInAsync()
    {
        foreach (var joined in _rooms.Values.ToArray())
        {
            var reply = await RequestAsync(LoginFrame(joined), _disposed.Token).ConfigureAwait(false);
            if (reply.ErrorCode == RoomErrorCodes.SendFailed && !IsConnected) return false;
            if (reply.ErrorCode == 0)
            {
                RaiseState(joined.RoomId, RoomStateReason.Reconnected, 0, null);
            }
            else if (_rooms.TryRemove(new KeyValuePair<string, JoinedRoom>(joined.RoomId, joined)))
            {
                RaiseState(joined.RoomId, RoomStateReason.ReconnectFailed, reply.ErrorCode ?? RoomErrorCodes.SendFailed, reply.Error);
            }
        }
        return true;
    }

    /// <summary>One WebSocket: its receive loop and heartbeat.</summary>
    private sealed class Connection(ChorusRoomClient owner, ClientWebSocket socket)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private long _lastReceiveTicks = Environment.TickCount64;
        private TimeSpan _heartbeat = TimeSpan.FromSeconds(10);
        private int _lost;

        public bool IsAlive => Volatile.Read(ref _lost) == 0 && socket.State == WebSocketState.Open;

        public void Start()
        {
            // The heartbeat starts with the first frame (hello), which carries the interval the server expects.
            _ = Task.Run(ReceiveLoopAsync);
        }

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
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
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
                    var frame = Frame.TryParse(buffer.AsSpan(0, length));
                    if (frame is null) continue;
                    if (frame.Op == Ops.Hello && frame.HeartbeatMs is > 0) _heartbeat = TimeSpan.FromMilliseconds(frame.HeartbeatMs.Value);
                    if (!heartbeatStarted)
                    {
                        heartbeatStarted = true;
                        _ = Task.Run(HeartbeatLoopAsync);
                    }
                    owner.OnFrame(frame);
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
                    await SendAsync(new Frame { Op = Ops.Ping }.ToUtf8Bytes(), _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) { }
        }
    }
}
