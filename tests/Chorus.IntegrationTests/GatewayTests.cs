using System.IO.Pipelines;
using System.Net.WebSockets;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.Gateway;
using Chorus.Server.Core;
using Microsoft.Extensions.DependencyInjection;

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
    public async Task An_envelope_string_no_string_can_hold_is_a_malformed_frame_and_an_answer_carries_the_rid_it_was_dispatched_by()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        // An escaped lone surrogate (valid UTF-8, valid JSON, no .NET string) in the op: a malformed frame, answered.
        await raw.SendTextAsync("""{"op":"\ud800","rid":1}""");
        var error = await raw.ReceiveAsync();
        Assert.Equal("error", error.GetProperty("op").GetString());
        Assert.Equal(RoomErrorCodes.MalformedFrame, error.GetProperty("errorCode").GetInt32());
        // In the value of a field the op does not read: the op is answered as usual.
        await raw.SendTextAsync("""{"op":"ping","rid":2,"roomId":"\udc00"}""");
        var pong2 = await raw.ReceiveAsync();
        Assert.Equal(("pong", 2L), (pong2.GetProperty("op").GetString(), pong2.GetProperty("rid").GetInt64()));
        // In a key: no request can be read from it, a malformed frame.
        await raw.SendTextAsync("""{"op":"ping","rid":3,"\ud800":1}""");
        var error3 = await raw.ReceiveAsync();
        Assert.Equal(("error", RoomErrorCodes.MalformedFrame), (error3.GetProperty("op").GetString(), error3.GetProperty("errorCode").GetInt32()));
        // A repeated rid: the answer carries the number the frame was dispatched by, as a refusal would.
        await raw.SendTextAsync("""{"op":"ping","rid":10,"rid":null}""");
        var pong = await raw.ReceiveAsync();
        Assert.Equal("pong", pong.GetProperty("op").GetString());
        Assert.Equal(10, pong.GetProperty("rid").GetInt64());
        // They count as malformed frames: the connection closes once there are too many.
        for (int i = 2; i <= WebSocketGateway.MaxMalformedFrames; i++) await raw.SendTextAsync("""{"op":"\ud800"}""");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await raw.ReceiveCloseAsync());
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
    public async Task Binary_and_over_1_MiB_frames_close_the_connection_and_the_server_stays_up()
    {
        await using var server = await TestServer.StartAsync();
        await using (var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
        {
            await raw.SendBinaryAsync([1, 2, 3]);
            Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await raw.ReceiveCloseAsync());
        }
        await using (var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
        {
            // Frames over MaxFrameBytes are answered (OversizedInputTests); past 1 MiB the connection is closed.
            await raw.SendTextAsync("{\"op\":\"ping\",\"pad\":\"" + new string('p', Protocol.FrameLimits.MaxDiscardedFrameBytes) + "\"}");
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, await raw.ReceiveCloseAsync());
        }
        await server.LoggedInAsync("r1", "still-works");
    }

    [Fact]
    public async Task Missing_or_bad_appId_is_refused_at_the_handshake()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var query in new[] { "", "appId=abc", "appId=0", "appId=-1", "appId=4294967296" })
        {
            using var ws = new ClientWebSocket();
            ws.Options.CollectHttpResponseDetails = true;
            var uri = new UriBuilder(server.Url) { Scheme = "ws", Path = "/ws", Query = query }.Uri;
            await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(uri, Ct));
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, ws.HttpStatusCode); // documented: HTTP 400, no upgrade
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
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer); // the blocked write ends with the cancellation
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
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> NoRateLimits = new()
    {
        ["Chorus:BroadcastPerClientPerSecond"] = "1000000", ["Chorus:BroadcastPerRoomPerSecond"] = "1000000",
        ["Chorus:FramesPerConnectionPerSecond"] = "1000000", ["Chorus:FramesPerAppPerSecond"] = "1000000",
    };

    private static async Task<RawSocket> RawLoginAsync(TestServer server, string userId, int? receiveBufferBytes = null)
    {
        var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA, receiveBufferBytes);
        var login = await raw.RequestAsync($$"""{"op":"login","rid":1,"roomId":"r1","userId":"{{userId}}","token":"{{server.Token(userId)}}","userStatusNotify":false}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());
        return raw;
    }

    [Fact]
    public async Task Stopping_the_server_closes_clients_with_1012_after_sending_what_is_queued()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>(NoRateLimits) { ["Chorus:SendQueueCapacity"] = "10000" });
        // A reader with a 2 KB receive buffer that reads nothing for now: the broadcasts below fill the socket buffers and
        // the rest stay in its server-side queue.
        await using var reader = await RawLoginAsync(server, "reader", receiveBufferBytes: 2048);
        var sender = await server.LoggedInAsync("r1", "sender");
        const int Count = 3000;
        string payload = new('q', 1000);
        var ids = new List<long>();
        for (int batch = 0; batch < Count / 100; batch++)
        {
            var sent = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => sender.SendBroadcastMessageAsync("r1", payload, Ct)));
            Assert.All(sent, r => Assert.Equal(0, r.ErrorCode));
            ids.AddRange(sent.Select(r => r.MessageId));
        }
        ids.Sort(); // sent concurrently: the server's order is the id order
        var session = server.Services.GetRequiredService<SessionRegistry>().All.Single(s => server.Services.GetRequiredService<Chorus.Server.Rooms.RoomSignaling>().RoomsOf(s).Values.Any(m => m.UserId == "reader"));
        Assert.True(session.Queue.Count > 0, "nothing was queued for the reader: the test would not show that the queue is sent");
        TestContext.Current.TestOutputHelper?.WriteLine($"{session.Queue.Count} frames queued when the stop began");

        var stop = server.App.StopAsync(CancellationToken.None);
        var received = new List<long>();
        while (await reader.ReceiveOrCloseAsync(TimeSpan.FromSeconds(10)) is { } frame)
        {
            if (frame.GetProperty("op").GetString() == "broadcast") received.Add(frame.GetProperty("messageId").GetInt64());
            Assert.True(received.Count <= Count, "more broadcasts than were sent");
        }
        Assert.Equal(WebSocketGateway.ServerGoingAway, reader.Socket.CloseStatus);
        Assert.Equal(ids, received); // every queued broadcast, in order, before the close
        await reader.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        await stop.WaitAsync(TimeSpan.FromSeconds(15), Ct);
    }

    [Fact]
    public async Task A_client_that_does_not_answer_the_1012_close_is_dropped_after_2_s()
    {
        await using var server = await TestServer.StartAsync();
        await using var silent = await RawLoginAsync(server, "silent");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stop = server.App.StopAsync(CancellationToken.None);
        Assert.Null(await silent.ReceiveOrCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketGateway.ServerGoingAway, silent.Socket.CloseStatus);
        // The client never answers. The server waits ClientSession.CloseHandshakeTimeout (2 s) for it, then drops it,
        // well before the host's 30 s shutdown timeout would.
        await stop.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        Assert.True(clock.Elapsed >= ClientSession.CloseHandshakeTimeout - TimeSpan.FromMilliseconds(200),
            $"the stop ended after {clock.Elapsed.TotalMilliseconds} ms: it did not wait for the close handshake");
        Assert.Equal(0, server.Services.GetRequiredService<SessionRegistry>().Count);
    }

    [Fact]
    public async Task The_SDK_reconnects_after_a_1012_close_to_the_restarted_server_and_logs_back_in()
    {
        var first = await TestServer.StartAsync();
        await using var proxy = new FaultProxy(first.Url);
        var client = first.NewClient(url: proxy.Url, tweak: o => o with { ReconnectMinDelay = TimeSpan.FromMilliseconds(200), ReconnectMaxDelay = TimeSpan.FromSeconds(1) });
        var states = new EventSink<RoomStateChanged>();
        client.RoomStateChanged += states.Handler;
        Assert.Equal(0, (await client.LoginRoomAsync("r1", new RoomUser("phoenix"), new RoomConfig { Token = first.Token("phoenix") }, Ct)).ErrorCode);

        await first.App.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15), Ct);
        await states.NextAsync(s => s.Reason == RoomStateReason.Reconnecting, TimeSpan.FromSeconds(10));

        await using var second = await TestServer.StartAsync();
        proxy.Target = second.Url;
        await states.NextAsync(s => s.Reason == RoomStateReason.Reconnected, TimeSpan.FromSeconds(20));
        var users = await second.CallAsync("DescribeUsers", ("RoomId", "r1"), ("UserId[]", "phoenix"));
        Assert.Equal(1, users.GetProperty("Data").GetProperty("UserStatusList")[0].GetProperty("Status").GetInt32());
        await client.DisposeAsync();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task SIGTERM_stops_the_real_server_process_closing_clients_with_1012_and_exiting_0()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGTERM needs a POSIX system");
        await using var serve = CliProcess.Start("serve", "--port", "0", "--app", $"{TestServer.AppA}:{TestServer.SecretA}", "--data", Path.Combine(Path.GetTempPath(), "chorus-cli-test-" + Guid.NewGuid().ToString("N")));
        string url = (await serve.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
        await using var raw = await RawSocket.ConnectAsync(new Uri(url), TestServer.AppA);
        var login = await raw.RequestAsync($$"""{"op":"login","rid":1,"roomId":"r1","userId":"u1","token":"{{Token04.Generate(TestServer.AppA, "u1", TestServer.SecretA, 600)}}"}""");
        Assert.Equal(0, login.GetProperty("errorCode").GetInt32());

        serve.Terminate();
        Assert.Null(await raw.ReceiveOrCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(WebSocketGateway.ServerGoingAway, raw.Socket.CloseStatus);
        await raw.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", Ct);
        Assert.Equal(0, await serve.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }
}
