using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Chorus.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Gateway;

/// <summary>
/// Accepts client WebSockets at <c>/ws?appId=N</c>, reads frames, dispatches requests by the op table
/// (<see cref="OpRegistry"/>: the gateway knows no op by name) and runs each connection's writer loop. A connection
/// silent for longer than the heartbeat timeout is dropped; the features are told of every connection that ends
/// (<see cref="IConnectionObserver"/>).
/// </summary>
public sealed partial class WebSocketGateway : IPeriodicWork, ILocalConnections
{
    /// <summary>Malformed frames tolerated on one connection before it is closed.</summary>
    public const int MaxMalformedFrames = 10;

    private readonly OpRegistry _ops;
    private readonly IConnectionObserver[] _observers;
    private readonly SessionRegistry _sessions;
    private readonly FloodGuard _flood;
    private readonly GatewayOptions _options;
    private readonly ChatOptions _chatOptions;
    private readonly ILogger<WebSocketGateway> _logger;
    private readonly GatewayCounters _counters;

    /// <summary>Creates the gateway.</summary>
    public WebSocketGateway(OpRegistry ops, IEnumerable<IConnectionObserver> observers, SessionRegistry sessions, FloodGuard flood, IOptions<GatewayOptions> options, IOptions<ChatOptions> chatOptions, GatewayCounters counters, ILogger<WebSocketGateway> logger)
    {
        _counters = counters;
        _flood = flood;
        _ops = ops;
        _observers = [.. observers];
        _sessions = sessions;
        _options = options.Value;
        _chatOptions = chatOptions.Value;
        _logger = logger;
    }

    /// <summary>Close status sent to every client when the server stops: 1012 (service restart), so clients reconnect with jitter.</summary>
    public const WebSocketCloseStatus ServerGoingAway = (WebSocketCloseStatus)1012;

    /// <summary>Disconnects connections whose socket has not taken a frame for <see cref="GatewayOptions.SlowConsumerTimeout"/>.</summary>
    public void DropStuckConsumers()
    {
        foreach (var session in _sessions.All)
        {
            if (session.Queue.CurrentSendDuration >= _options.SlowConsumerTimeout)
            {
                Log.SlowConsumer(_logger, session.Id, session.Queue.Count, session.Queue.DroppedUnreliable);
                session.Abort("slow consumer");
            }
        }
    }

    /// <inheritdoc />
    ValueTask IPeriodicWork.RunAsync(DateTimeOffset now)
    {
        DropStuckConsumers();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void CloseAll()
    {
        foreach (var session in _sessions.All) session.RequestClose(ServerGoingAway, "server restarting");
    }

    /// <summary>Handles one HTTP request to the WebSocket endpoint.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true } || !IsWebSocketUpgrade(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket upgrade expected");
            return;
        }
        if (!uint.TryParse(context.Request.Query["appId"], out uint appId) || appId == 0)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("appId query parameter (uint32, not 0) expected");
            return;
        }

        if (!_flood.AllowConnection(context.Connection.RemoteIpAddress))
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await context.Response.WriteAsync("too many new connections from this address; retry later");
            return;
        }

        // The handshake is done here rather than by AcceptWebSocketAsync so that the socket stream can be wrapped:
        // the writer packs queued frames into one socket write (see CoalescingStream).
        string? subProtocol = context.Request.Headers.SecWebSocketProtocol.ToString().Split(',', StringSplitOptions.TrimEntries).Contains(Ops.SubProtocol) ? Ops.SubProtocol : null;
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(context.Request.Headers.SecWebSocketKey.ToString() + WebSocketGuid)));
        if (subProtocol is not null) context.Response.Headers.SecWebSocketProtocol = subProtocol;
        var stream = new CoalescingStream(await upgrade.UpgradeAsync());
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, SubProtocol = subProtocol, KeepAliveInterval = TimeSpan.Zero });
        var session = new ClientSession(appId, socket, _options.SendQueueCapacity, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        _flood.Attach(session);
        _sessions.Add(session);
        Log.Connected(_logger, session.Id, appId, session.Remote);
        session.Send(EncodedFrame.FromPayload(ProtocolJson.ToUtf8Bytes(new HelloEvent
        {
            Version = Ops.ProtocolVersion, HeartbeatMs = (int)_options.HeartbeatInterval.TotalMilliseconds,
            MaxFrameBytes = _options.MaxFrameBytes, MaxTextBytes = _chatOptions.ChatMaxTextBytes,
        })), Delivery.Reliable);

        var writer = RunWriterAsync(session, stream);
        try
        {
            await ReceiveLoopAsync(session, context.RequestAborted);
        }
        finally
        {
            var reason = session.AbortReason switch
            {
                null => ConnectionEndReason.Normal,
                "heartbeat timeout" => ConnectionEndReason.HeartbeatTimeout,
                _ => ConnectionEndReason.Dropped,
            };
            foreach (var observer in _observers) await observer.OnConnectionClosedAsync(session, reason);
            _sessions.Remove(session);
            session.MarkClosed();
            await writer;
            Log.Disconnected(_logger, session.Id, session.AbortReason ?? "closed");
        }
    }

    private async Task RunWriterAsync(ClientSession session, CoalescingStream stream)
    {
        try
        {
            await session.Queue.RunWriterAsync(stream, CancellationToken.None, _counters);
            if (session.Socket.State == WebSocketState.Open || session.Socket.State == WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await session.Socket.CloseOutputAsync(session.CloseStatus ?? WebSocketCloseStatus.NormalClosure, session.CloseReason ?? "bye", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            session.Abort("send failed");
        }
    }

    private async Task ReceiveLoopAsync(ClientSession session, CancellationToken aborted)
    {
        var socket = session.Socket;
        byte[]? buffer = null;
        int malformed = 0;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted, session.Closed);
        try
        {
            while (true)
            {
                idle.CancelAfter(_options.HeartbeatTimeout);
                // A zero-byte read waits for the next frame without holding a buffer: an idle connection keeps none.
                var received = await socket.ReceiveAsync(Memory<byte>.Empty, idle.Token);
                if (received.MessageType == WebSocketMessageType.Close) return;
                buffer = ArrayPool<byte>.Shared.Rent(_options.MaxFrameBytes);
                int length = 0;
                while (!received.EndOfMessage && length < _options.MaxFrameBytes)
                {
                    received = await socket.ReceiveAsync(buffer.AsMemory(length, _options.MaxFrameBytes - length), idle.Token);
                    length += received.Count;
                    if (received.MessageType == WebSocketMessageType.Close) return;
                }
                if (received.MessageType == WebSocketMessageType.Binary)
                {
                    session.RequestClose(WebSocketCloseStatus.InvalidMessageType, "protocol v1 uses JSON text frames");
                    return;
                }
                _counters.AddReceived();
                if (!received.EndOfMessage)
                {
                    // Over MaxFrameBytes: what identifies the request is taken from the prefix, the rest is read and
                    // discarded (up to a hard cap), and the request is answered, so the connection stays up.
                    var (rid, op, roomId, _) = ScanEnvelope(buffer.AsSpan(0, length), isFinalBlock: false);
                    long total = length;
                    while (!received.EndOfMessage)
                    {
                        received = await socket.ReceiveAsync(buffer.AsMemory(0, _options.MaxFrameBytes), idle.Token);
                        if (received.MessageType == WebSocketMessageType.Close) return;
                        total += received.Count;
                        if (total > FrameLimits.MaxDiscardedFrameBytes)
                        {
                            Log.FrameTooLarge(_logger, session.Id, session.AppId, Truncate(op), total);
                            session.RequestClose(WebSocketCloseStatus.MessageTooBig, $"frames over {FrameLimits.MaxDiscardedFrameBytes} bytes close the connection");
                            return;
                        }
                    }
                    // A message of exactly MaxFrameBytes may end with an empty fragment: nothing was overwritten then.
                    if (total > _options.MaxFrameBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                        Log.FrameTooLarge(_logger, session.Id, session.AppId, Truncate(op), total);
                        if (_flood.CheckFrame(session, _ops.Find(op)?.Rate, out bool flood) is { } floodRefusal)
                        {
                            if (flood)
                            {
                                session.RequestClose(WebSocketCloseStatus.PolicyViolation, floodRefusal.Message);
                                return;
                            }
                            session.Send(Refusal(rid, roomId, floodRefusal.Code, floodRefusal.Message), Delivery.Reliable);
                            continue;
                        }
                        session.Send(Refusal(rid, roomId, RoomErrorCodes.FrameTooLarge, op is null
                            ? $"the frame is {total} bytes; the server accepts at most {_options.MaxFrameBytes}"
                            : $"the '{Truncate(op)}' frame is {total} bytes; the server accepts at most {_options.MaxFrameBytes}"), Delivery.Reliable);
                        continue;
                    }
                }

                // The envelope (op, rid) is found first; the op's own reader then reads the request from the same bytes.
                var frame = buffer.AsSpan(0, length);
                var envelope = ScanEnvelope(frame, isFinalBlock: true);
                var entry = _ops.Find(envelope.Op);
                object? request = entry?.Read(frame);
                // A request its reader could not read is answered without its id, as a frame that is no JSON object is.
                bool readable = entry is null ? envelope.WellFormed : request is not null;
                long? requestRid = readable ? envelope.Rid : null;
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
                if (_flood.CheckFrame(session, entry?.Rate, out bool flooding) is { } refusal)
                {
                    if (flooding)
                    {
                        session.RequestClose(WebSocketCloseStatus.PolicyViolation, refusal.Message);
                        return;
                    }
                    session.Send(Refusal(requestRid, readable ? envelope.RoomId : null, refusal.Code, refusal.Message), Delivery.Reliable);
                    continue;
                }
                if (request is null)
                {
                    if (++malformed > MaxMalformedFrames)
                    {
                        session.RequestClose(WebSocketCloseStatus.PolicyViolation, "too many malformed frames");
                        return;
                    }
                    session.Send(Refusal(requestRid, roomId: null, RoomErrorCodes.MalformedFrame,
                        !readable ? "frame is not a JSON object of the protocol" : $"unknown op '{Truncate(envelope.Op)}'"), Delivery.Reliable);
                    continue;
                }
                session.Send(await entry!.HandleAsync(session, request, requestRid, aborted), Delivery.Reliable);
            }
        }
        catch (OperationCanceledException)
        {
            if (!aborted.IsCancellationRequested && !session.Closed.IsCancellationRequested)
                session.Abort("heartbeat timeout");
        }
        catch (WebSocketException)
        {
            session.Abort("connection dropped");
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private static bool IsWebSocketUpgrade(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase)
        && request.Headers.SecWebSocketVersion.ToString() == "13"
        && request.Headers.SecWebSocketKey.ToString() is { Length: > 0 } key && IsValidKey(key);

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }

    /// <summary>A refusal of a request: its <c>result</c> when the request's id is known, else an <c>error</c> frame.</summary>
    private static EncodedFrame Refusal(long? rid, string? roomId, int code, string message) => EncodedFrame.FromPayload(rid is null
        ? ProtocolJson.ToUtf8Bytes(new ErrorEvent { ErrorCode = code, Error = message, RoomId = roomId })
        : ProtocolJson.ToUtf8Bytes(new RoomResult { Rid = rid, ErrorCode = code, Error = message, RoomId = roomId }));

    /// <summary>
    /// Finds the top-level <c>rid</c>, <c>op</c> and <c>roomId</c> of a frame. From a prefix (<paramref name="isFinalBlock"/>
    /// false) it does not wait for the rest: the SDK writes <c>op</c> and <c>rid</c> first, so an oversized request can
    /// still be answered by its id. <c>WellFormed</c>: the frame is one complete JSON object (whole frames only).
    /// </summary>
    internal static (long? Rid, string? Op, string? RoomId, bool WellFormed) ScanEnvelope(ReadOnlySpan<byte> frame, bool isFinalBlock)
    {
        long? rid = null;
        string? op = null, roomId = null;
        bool wellFormed = false, badEnvelope = false;
        var reader = new Utf8JsonReader(frame, isFinalBlock, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return (null, null, null, false);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    wellFormed = isFinalBlock && !reader.Read();
                    break;
                }
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                int field = reader.ValueTextEquals("rid"u8) ? 1 : reader.ValueTextEquals("op"u8) ? 2 : reader.ValueTextEquals("roomId"u8) ? 3 : 0;
                if (!reader.Read()) break;
                if (field == 1 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long r)) rid = r;
                else if (field == 2 && reader.TokenType == JsonTokenType.String) op = reader.GetString();
                else if (field == 3 && reader.TokenType == JsonTokenType.String) roomId = reader.GetString();
                else if (field is 1 or 2 && reader.TokenType != JsonTokenType.Null) badEnvelope = true; // not of the envelope's shape
            }
            wellFormed &= !badEnvelope;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // not JSON, or a string no .NET string can hold (an escaped lone surrogate): answered without an id, counted as malformed
            wellFormed = false;
        }
        // Only a valid RoomId is echoed back.
        return (rid, op, roomId is not null && RoomLimits.ValidateRoomId(roomId) == 0 ? roomId : null, wellFormed);
    }

    /// <summary>A client-chosen string made safe for a log line or an error text: at most 32 characters, and every
    /// control or format character (a newline, an escape sequence, a direction override) shown as '?'.</summary>
    internal static string Truncate(string? s)
    {
        if (s is null) return "";
        string cut = s.Length <= 32 ? s : s[..32] + "...";
        return string.Create(cut.Length, cut, static (span, text) =>
        {
            for (int i = 0; i < text.Length; i++)
                span[i] = char.IsControl(text[i]) || char.IsSurrogate(text[i]) || char.GetUnicodeCategory(text[i]) == System.Globalization.UnicodeCategory.Format ? '?' : text[i];
        });
    }

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Debug, "Session {SessionId} connected for app {AppId} from {Remote}")]
        public static partial void Connected(ILogger logger, long sessionId, uint appId, string remote);

        [LoggerMessage(2003, LogLevel.Warning, "Session {SessionId} disconnected: its reader is stuck ({Queued} frames queued, {Dropped} unreliable dropped)")]
        public static partial void SlowConsumer(ILogger logger, long sessionId, int queued, long dropped);

        [LoggerMessage(2004, LogLevel.Information, "Session {SessionId} of app {AppId}: a '{Op}' frame of {Bytes} bytes was over the frame limit and refused")]
        public static partial void FrameTooLarge(ILogger logger, long sessionId, uint appId, string op, long bytes);

        [LoggerMessage(2002, LogLevel.Debug, "Session {SessionId} ended: {Reason}")]
        public static partial void Disconnected(ILogger logger, long sessionId, string reason);
    }
}
