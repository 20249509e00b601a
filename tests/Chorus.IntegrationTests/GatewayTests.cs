using System.IO.Pipelines;
using System.Net.WebSockets;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.Gateway;

namespace Chorus.IntegrationTests;

public class GatewayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Malformed_frames_get_an_error_and_the_connection_stays_usable()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        foreach (string bad in new[] { "not json", "[1,2,3]", "{\"op\":42}", "{\"op\":\"login\"", "" })
        {
            await raw.SendTextAsync(bad);
            var error = await raw.ReceiveAsync();
            Assert.Equal("error", error.GetProperty("op").GetString());
            Assert.Equal(RoomErrorCodes.MalformedFrame, error.GetProperty("errorCode").GetInt32());
        }
        var unknown = await raw.RequestAsync("""{"op":"selfDestruct","rid":9}""");
        Assert.Equal(9, unknown.GetProperty("rid").GetInt64());
        Assert.Equal(RoomErrorCodes.MalformedFrame, unknown.GetProperty("errorCode").GetInt32());
        var pong = await raw.RequestAsync("""{"op":"login","rid":10,"roomId":"r1","userId":"u1","token":"TOKEN"}""".Replace("TOKEN", server.Token("u1")));
        Assert.Equal(0, pong.GetProperty("errorCode").GetInt32());
        var send = await raw.RequestAsync("""{"op":"customCommand","rid":11,"roomId":"r1","content":"ok"}""");
        Assert.Equal(0, send.GetProperty("errorCode").GetInt32());
    }

    [Fact]
    public async Task Too_many_malformed_frames_close_the_connection()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        for (int i = 0; i <= WebSocketGateway.MaxMalformedFrames; i++) await raw.SendTextAsync("garbage");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await raw.ReceiveCloseAsync());
    }

    [Fact]
    public async Task Binary_and_oversized_frames_close_the_connection_and_the_server_stays_up()
    {
        await using var server = await TestServer.StartAsync();
        await using (var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
        {
            await raw.SendBinaryAsync([1, 2, 3]);
            Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await raw.ReceiveCloseAsync());
        }
        await using (var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
        {
            await raw.SendTextAsync("{\"op\":\"ping\",\"pad\":\"" + new string('p', 20_000) + "\"}");
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, await raw.ReceiveCloseAsync());
        }
        await server.LoggedInAsync("r1", "still-works");
    }

    [Fact]
    public async Task Missing_or_bad_appId_is_refused_at_the_handshake()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var query in new[] { "", "appId=abc", "appId=0" })
        {
            using var ws = new ClientWebSocket();
            var uri = new UriBuilder(server.Url) { Scheme = "ws", Path = "/ws", Query = query }.Uri;
            await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(uri, Ct));
        }
    }

    [Fact]
    public async Task Silent_connection_is_dropped_after_the_heartbeat_timeout_and_leaves_presence()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Chorus:HeartbeatTimeout"] = "00:00:01",
            ["Chorus:HeartbeatInterval"] = "00:00:00.300",
        });
        var watcher = await server.LoggedInAsync("r1", "watcher");
        var updates = new EventSink<RoomUserUpdated>();
        watcher.RoomUserUpdated += updates.Handler;

        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var login = await raw.RequestAsync($$"""{"op":"login","rid":1,"roomId":"r1","userId":"silent","token":"{{server.Token("silent")}}"}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());
        Assert.Equal(RoomUpdateType.Add, (await updates.NextAsync()).UpdateType);

        // the SDK client pings (every 300 ms here) and stays; the raw socket says nothing and is dropped
        var left = await updates.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((RoomUpdateType.Delete, "silent"), (left.UpdateType, Assert.Single(left.Users).UserId));
        await Task.Delay(1200, Ct);
        Assert.True(watcher.IsConnected);
        var users = await server.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", "watcher"), ("UserId[]", "silent"));
        Assert.Equal(1, users.GetProperty("Data").GetProperty("UserStatusList")[0].GetProperty("Status").GetInt32());
        Assert.Equal(0, users.GetProperty("Data").GetProperty("UserStatusList")[1].GetProperty("Status").GetInt32());
    }

    [Fact]
    public async Task Send_queue_drops_unreliable_frames_for_a_stuck_reader_and_overflows_on_reliable_ones()
    {
        // The connection's stream over a pipe that nobody reads: the writer blocks as a stuck client's would.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        using var stream = new CoalescingStream(new DuplexStream(pipe.Writer.AsStream()));
        var queue = new SendQueue(capacity: 8);
        int overflows = 0;
        queue.Overflowed += () => overflows++;
        using var cts = new CancellationTokenSource();
        var writer = queue.RunWriterAsync(stream, cts.Token);

        var payload = EncodedFrame.FromPayload(new byte[600]);
        var enqueueTime = System.Diagnostics.Stopwatch.StartNew();
        int accepted = 0;
        for (int i = 0; i < 100; i++) if (queue.Enqueue(payload, reliable: false)) accepted++;
        Assert.True(enqueueTime.ElapsedMilliseconds < 1000, "enqueue must never wait for the reader");
        Assert.InRange(accepted, 4, 8 + 2); // half the queue (plus what the writer already took)
        Assert.Equal(100 - accepted, queue.DroppedUnreliable);
        Assert.Equal(0, overflows);

        for (int i = 0; i < 10; i++) queue.Enqueue(payload, reliable: true);
        Assert.True(overflows > 0);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => writer);
    }

    /// <summary>A write-only stream whose reads never complete (the peer never sends).</summary>
    private sealed class DuplexStream(Stream write) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => write.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => write.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);
    }
}

public class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_server_closes_clients_with_1012_after_sending_what_is_queued()
    {
        var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        var login = await raw.RequestAsync($$"""{"op":"login","rid":1,"roomId":"r1","userId":"u1","token":"{{server.Token("u1")}}"}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());
        var stop = server.DisposeAsync();
        Assert.Equal(WebSocketGateway.ServerGoingAway, await raw.ReceiveCloseAsync());
        await stop;
    }
}
