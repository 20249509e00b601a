using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Chorus.IntegrationTests.Infrastructure;

/// <summary>A bare WebSocket speaking the protocol by hand, for malformed and hostile input.</summary>
public sealed class RawSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private System.Net.Http.HttpMessageInvoker? _invoker;
    private readonly byte[] _buffer = new byte[256 * 1024]; // one receive at a time, so one buffer

    public ClientWebSocket Socket => _socket;

    /// <summary>The server's hello frame.</summary>
    public JsonElement Hello { get; private set; }

    /// <summary>Connects and reads the hello. <paramref name="receiveBufferBytes"/> shrinks the TCP receive buffer, so
    /// that frames the test does not read stay queued in the server instead of in the kernel.</summary>
    public static async Task<RawSocket> ConnectAsync(Uri serverUrl, uint appId, int? receiveBufferBytes = null)
    {
        var raw = new RawSocket();
        raw._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var ws = new UriBuilder(serverUrl) { Scheme = "ws", Path = "/ws", Query = $"appId={appId}" }.Uri;
        using var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        connectDeadline.CancelAfter(TimeSpan.FromSeconds(15));
        if (receiveBufferBytes is int size)
        {
            var handler = new System.Net.Http.SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = size, NoDelay = true };
                    await tcp.ConnectAsync(context.DnsEndPoint, ct);
                    return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
                },
            };
            raw._invoker = new System.Net.Http.HttpMessageInvoker(handler, disposeHandler: true); // lives as long as the socket
            await raw._socket.ConnectAsync(ws, raw._invoker, connectDeadline.Token);
        }
        else await raw._socket.ConnectAsync(ws, connectDeadline.Token);
        var hello = await raw.ReceiveAsync();
        Assert.Equal("hello", hello.GetProperty("op").GetString());
        raw.Hello = hello;
        return raw;
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken).WaitAsync(SendDeadline);

    public Task SendBinaryAsync(byte[] bytes) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken).WaitAsync(SendDeadline);

    /// <summary>A send that the server does not take within this time fails the test (its reads have stalled).</summary>
    private static readonly TimeSpan SendDeadline = TimeSpan.FromSeconds(15);

    /// <summary>Receives the next frame as JSON; throws if the server closed instead.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        var (type, text) = await ReceiveRawAsync(timeout);
        Assert.Equal(WebSocketMessageType.Text, type);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The next frame as JSON, or null when the server's close frame came instead.</summary>
    public async Task<JsonElement?> ReceiveOrCloseAsync(TimeSpan? timeout = null)
    {
        var (type, text) = await ReceiveRawAsync(timeout);
        if (type == WebSocketMessageType.Close) return null;
        Assert.Equal(WebSocketMessageType.Text, type);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Receives frames until the server closes; returns the close status.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        // The deadline covers the whole wait, however many frames come before the close.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            try
            {
                var (type, _) = await ReceiveRawAsync(Left(deadline, "close"));
                if (type == WebSocketMessageType.Close) return _socket.CloseStatus;
            }
            catch (WebSocketException)
            {
                return null; // aborted without a close frame
            }
        }
    }

    private async Task<(WebSocketMessageType Type, string Text)> ReceiveRawAsync(TimeSpan? timeout)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var buffer = _buffer;
        int length = 0;
        ValueWebSocketReceiveResult r;
        do
        {
            r = await _socket.ReceiveAsync(buffer.AsMemory(length), cts.Token);
            length += r.Count;
        } while (!r.EndOfMessage);
        return (r.MessageType, Encoding.UTF8.GetString(buffer, 0, length));
    }

    public async Task<JsonElement> RequestAsync(string json)
    {
        await SendTextAsync(json);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var frame = await ReceiveAsync(Left(deadline, "result"));
            if (frame.GetProperty("op").GetString() is "result" or "error") return frame;
        }
    }

    /// <summary>Sends a ping with this rid and returns its pong, or the refusal that came instead.</summary>
    public async Task<JsonElement> RequestOrPongAsync(long rid)
    {
        await SendTextAsync($$"""{"op":"ping","rid":{{rid}}}""");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var frame = await ReceiveAsync(Left(deadline, "pong"));
            if (frame.GetProperty("op").GetString() is "pong" or "result" or "error") return frame;
        }
    }

    private static TimeSpan Left(DateTime deadline, string what)
    {
        var left = deadline - DateTime.UtcNow;
        if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"no {what} frame in time");
        return left;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        _invoker?.Dispose();
        return ValueTask.CompletedTask;
    }
}
