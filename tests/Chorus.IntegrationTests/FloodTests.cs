using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class FloodTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task New_connections_per_IP_are_limited_with_429()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ConnectionsPerIpPerSecond"] = "5" });
        var open = new List<RawSocket>();
        for (int i = 0; i < 5; i++) open.Add(await RawSocket.ConnectAsync(server.Url, TestServer.AppA));
        using var sixth = new ClientWebSocket();
        sixth.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(server.Url) { Scheme = "ws", Path = "/ws", Query = $"appId={TestServer.AppA}" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => sixth.ConnectAsync(uri, Ct));
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.HttpStatusCode);
        foreach (var s in open) await s.DisposeAsync();
        await Task.Delay(1100, Ct); // the window passes
        await using var later = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
    }

    [Fact]
    public async Task Frames_per_connection_are_limited_and_a_flood_is_closed()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:FramesPerConnectionPerSecond"] = "20" });
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        for (int i = 1; i <= 20; i++) await raw.SendTextAsync($$"""{"op":"ping","rid":{{i}}}""");
        for (int i = 1; i <= 20; i++) Assert.Equal("pong", (await raw.ReceiveAsync()).GetProperty("op").GetString());
        var refused = await raw.RequestAsync("""{"op":"ping","rid":21}""");
        Assert.Equal((21, RoomErrorCodes.TooManyRequests), (refused.GetProperty("rid").GetInt32(), refused.GetProperty("errorCode").GetInt32()));
        for (int i = 22; i <= 41; i++) await raw.SendTextAsync($$"""{"op":"ping","rid":{{i}}}""");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await raw.ReceiveCloseAsync());
    }

    [Fact]
    public async Task Frames_per_app_are_limited_across_connections()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:FramesPerAppPerSecond"] = "30" });
        await using var a = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        await using var b = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        await using var otherApp = await RawSocket.ConnectAsync(server.Url, TestServer.AppB);
        for (int i = 1; i <= 15; i++) Assert.Equal("pong", (await a.RequestOrPongAsync(i)).GetProperty("op").GetString());
        for (int i = 1; i <= 15; i++) Assert.Equal("pong", (await b.RequestOrPongAsync(i)).GetProperty("op").GetString());
        var refused = await a.RequestOrPongAsync(16);
        Assert.Equal(RoomErrorCodes.TooManyRequests, refused.GetProperty("errorCode").GetInt32());
        Assert.Equal("pong", (await otherApp.RequestOrPongAsync(1)).GetProperty("op").GetString());
    }

    [Fact]
    public async Task AppIds_the_server_does_not_host_share_one_frame_counter()
    {
        // Made-up AppIds must not each get a counter of their own (an attacker could grow the table without bound):
        // they share one, which a hosted app does not share.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:FramesPerAppPerSecond"] = "20" });
        await using var made1 = await RawSocket.ConnectAsync(server.Url, 424242);
        await using var made2 = await RawSocket.ConnectAsync(server.Url, 434343);
        await using var hosted = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        for (int i = 1; i <= 10; i++) Assert.Equal("pong", (await made1.RequestOrPongAsync(i)).GetProperty("op").GetString());
        for (int i = 1; i <= 10; i++) Assert.Equal("pong", (await made2.RequestOrPongAsync(i)).GetProperty("op").GetString());
        Assert.Equal(RoomErrorCodes.TooManyRequests, (await made2.RequestOrPongAsync(11)).GetProperty("errorCode").GetInt32());
        Assert.Equal("pong", (await hosted.RequestOrPongAsync(1)).GetProperty("op").GetString());
    }

    [Fact]
    public async Task Login_attempts_per_connection_are_limited()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:LoginAttemptsPerConnectionPerMinute"] = "3" });
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        for (int i = 0; i < 3; i++)
            Assert.Equal(RoomErrorCodes.TokenInvalid, (await raw.RequestAsync("""{"op":"login","rid":1,"roomId":"r","userId":"u","token":"04guess"}""")).GetProperty("errorCode").GetInt32());
        var blocked = await raw.RequestAsync($$"""{"op":"login","rid":2,"roomId":"r","userId":"u","token":"{{server.Token("u")}}"}""");
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, blocked.GetProperty("errorCode").GetInt32());
        var chat = await raw.RequestAsync($$"""{"op":"chatLogin","rid":3,"userId":"u","token":"{{server.Token("u")}}"}""");
        Assert.Equal(RoomErrorCodes.TooManyLoginAttempts, chat.GetProperty("errorCode").GetInt32());
    }

    // 1024 (the default): the queue overflows with reliable frames first; 1000000: only the stuck-writer timeout can act.
    [Theory]
    [InlineData("1024")]
    [InlineData("1000000")]
    public async Task A_stuck_reader_in_a_busy_room_is_disconnected_and_slows_nobody(string queueCapacity)
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Chorus:SlowConsumerTimeout"] = "00:00:01",
            ["Chorus:SendQueueCapacity"] = queueCapacity,
            ["Chorus:BroadcastPerClientPerSecond"] = "1000000",
            ["Chorus:BroadcastPerRoomPerSecond"] = "1000000",
            ["Chorus:FramesPerConnectionPerSecond"] = "1000000",
            ["Chorus:FramesPerAppPerSecond"] = "1000000",
        });
        var sender = await server.LoggedInAsync("busy", "sender");
        var watcher = await server.LoggedInAsync("busy", "watcher");
        var received = 0;
        long lastId = 0;
        bool inOrder = true;
        watcher.BroadcastMessageReceived += (_, e) =>
        {
            foreach (var m in e.Messages) { inOrder &= m.MessageId > lastId; lastId = m.MessageId; Interlocked.Increment(ref received); }
        };
        var updates = new EventSink<RoomUserUpdated>();
        watcher.RoomUserUpdated += updates.Handler;

        await using var stuck = await StuckClient.LoginAsync(server, "busy", "stuck");
        Assert.Equal(RoomUpdateType.Add, (await updates.NextAsync()).UpdateType);

        const int total = 4000;
        string payload = new('p', 1000);
        int failures = 0;
        for (int batch = 0; batch < total / 100; batch++)
        {
            var sends = Enumerable.Range(0, 100).Select(_ => sender.SendBroadcastMessageAsync("busy", payload, Ct)).ToArray();
            failures += (await Task.WhenAll(sends)).Count(r => r.ErrorCode != 0);
        }
        Assert.Equal(0, failures);

        var left = await updates.NextAsync(u => u.UpdateType == RoomUpdateType.Delete, TimeSpan.FromSeconds(15));
        Assert.Equal("stuck", Assert.Single(left.Users).UserId);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (Volatile.Read(ref received) < total && DateTime.UtcNow < deadline) await Task.Delay(20, Ct);
        Assert.Equal(total, Volatile.Read(ref received));
        Assert.True(inOrder);
        Assert.True(sender.IsConnected && watcher.IsConnected);
    }

    /// <summary>A client that logs in over a socket with a tiny receive buffer and then never reads again.</summary>
    private sealed class StuckClient : IAsyncDisposable
    {
        private readonly Socket _socket;

        private StuckClient(Socket socket) => _socket = socket;

        public static async Task<StuckClient> LoginAsync(TestServer server, string roomId, string userId)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 2048 };
            await socket.ConnectAsync(IPAddress.Loopback, server.Url.Port, Ct);
            var stream = new NetworkStream(socket, ownsSocket: false);
            string key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
            string request = $"GET /ws?appId={TestServer.AppA} HTTP/1.1\r\nHost: 127.0.0.1:{server.Url.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
            var header = new StringBuilder();
            var one = new byte[1];
            using var handshakeDeadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            handshakeDeadline.CancelAfter(TimeSpan.FromSeconds(15));
            while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                Assert.True(header.Length < 4096, "the handshake answer does not end");
                Assert.Equal(1, await stream.ReadAsync(one, handshakeDeadline.Token));
                header.Append((char)one[0]);
            }
            Assert.StartsWith("HTTP/1.1 101", header.ToString());
            var ws = WebSocket.CreateFromStream(stream, isServer: false, subProtocol: null, keepAliveInterval: TimeSpan.Zero);
            var buffer = new byte[8192];
            await ws.ReceiveAsync(buffer, handshakeDeadline.Token); // hello
            await ws.SendAsync(Encoding.UTF8.GetBytes($$"""{"op":"login","rid":1,"roomId":"{{roomId}}","userId":"{{userId}}","token":"{{server.Token(userId)}}","userStatusNotify":false}"""),
                WebSocketMessageType.Text, true, Ct);
            var r = await ws.ReceiveAsync(buffer, handshakeDeadline.Token);
            Assert.Contains("\"errorCode\":0", Encoding.UTF8.GetString(buffer, 0, r.Count));
            return new StuckClient(socket); // from here on nothing reads this socket
        }

        public ValueTask DisposeAsync()
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
