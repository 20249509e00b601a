using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Chorus.Client;
using Chorus.Bench.Scenarios;
using Chorus.Protocol;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Chorus.Bench;

/// <summary>A server under test and how its own client library joins a room and publishes to it.</summary>
internal interface IBenchTarget
{
    string Name { get; }

    Task<ServerProcess> StartAsync();

    /// <summary>
    /// Connects one client as <paramref name="user"/> and joins <paramref name="room"/>; <paramref name="onDelivered"/>
    /// gets the end-to-end latency in microseconds of each payload published to the room by someone else.
    /// </summary>
    Task<IBenchClient> ConnectAsync(ServerProcess server, string room, string user, Action<long> onDelivered);
}

/// <summary>One connected client of a target.</summary>
internal interface IBenchClient : IAsyncDisposable
{
    /// <summary>
    /// Publishes a payload of <paramref name="bytes"/> bytes, stamped with the send time, to the room the client joined;
    /// completes when the server acknowledged it (where it does).
    /// </summary>
    Task PublishAsync(int bytes);
}

/// <summary>Every target, in the order the tables list them.</summary>
internal static class BenchTargets
{
    public static IBenchTarget[] All(bool withPeers, TextWriter log)
    {
        if (!withPeers) return [new RawTarget(), new ChorusTarget()];
        if (NodeAvailable()) return [new RawTarget(), new ChorusTarget(), new SignalRTarget(), new SocketIoTarget()];
        log.WriteLine("warning: Node.js (node and npm) is not on PATH: Socket.IO is left out of this run");
        return [new RawTarget(), new ChorusTarget(), new SignalRTarget()];
    }

    private static bool NodeAvailable()
    {
        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", ["--version"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            node.WaitForExit(10_000);
            return node.HasExited && node.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Environment for a .NET server: workstation GC, the setting every .NET target runs with (chosen by measurement: docs/performance.md).</summary>
    public static Dictionary<string, string> DotnetEnvironment() => new()
    {
        ["DOTNET_gcServer"] = "0",
        ["Logging__Console__LogToStandardErrorThreshold"] = "Trace",
        ["ASPNETCORE_hostBuilder__reloadConfigOnChange"] = "false",
    };
}

/// <summary>Chorus, with its full protocol, auth and presence, through its SDK (broadcast messages: reliable, acknowledged).</summary>
internal sealed class ChorusTarget : IBenchTarget
{
    private const uint AppId = 1;
    private const string Secret = "chorus-dev-secret-do-not-deploy!";

    public string Name => "Chorus";

    public Task<ServerProcess> StartAsync() => StartAsync([]);

    /// <summary>Starts <c>chorus serve</c> with the benchmark's settings and <paramref name="extraArguments"/> (--redis, --postgres, a node id).</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> extraArguments)
    {
        string data = Path.Combine(Path.GetTempPath(), "chorus-bench-" + Guid.NewGuid().ToString("N"));
        var server = await ServerProcess.StartDotnetAsync("chorus.dll",
        [
            "serve", "--port", "0", "--data", data,
            // the benchmark floods on purpose: lift the per-client and per-room limits
            "--Chorus:BroadcastPerClientPerSecond=100000000", "--Chorus:BroadcastPerRoomPerSecond=100000000",
            "--Chorus:FramesPerConnectionPerSecond=100000000", "--Chorus:FramesPerAppPerSecond=100000000",
            "--Chorus:ConnectionsPerIpPerSecond=1000000", "--Chorus:ChatSendsPerSecond=100000000",
            "--Logging:LogLevel:Default=Warning",
            .. extraArguments,
        ], BenchTargets.DotnetEnvironment());
        server.Companion = new DataDirectory(data);
        return server;
    }

    /// <summary>The server's data directory, deleted once the server has stopped.</summary>
    private sealed class DataDirectory(string path) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            try { Directory.Delete(path, recursive: true); } catch (IOException) { }
            return ValueTask.CompletedTask;
        }
    }

    public async Task<IBenchClient> ConnectAsync(ServerProcess server, string room, string user, Action<long> onDelivered)
    {
        var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = server.Url, AppId = AppId, RequestTimeout = TimeSpan.FromSeconds(60), ConnectTimeout = TimeSpan.FromSeconds(60) });
        client.BroadcastMessageReceived += (_, e) => { foreach (var m in e.Messages) onDelivered(Measure.MicrosecondsSince(m.Message)); };
        var r = await client.LoginRoomAsync(room, new RoomUser(user), new RoomConfig { Token = Token(user), IsUserStatusNotify = false });
        if (r.ErrorCode != 0)
        {
            await client.DisposeAsync();
            throw new InvalidOperationException($"login of {user} failed: {r.ErrorCode} {r.ErrorMessage}");
        }
        return new Client(client, room);
    }

    /// <summary>A Token04 for the dev app.</summary>
    public static string Token(string user) => Token04.Generate(AppId, user, Secret, 3600);

    /// <summary>The dev app's id, for the chat scenario.</summary>
    public static uint DevAppId => AppId;

    private sealed class Client(ChorusRoomClient client, string room) : IBenchClient
    {
        public async Task PublishAsync(int bytes)
        {
            var sent = await client.SendBroadcastMessageAsync(room, Measure.StampedPayload(bytes));
            if (sent.ErrorCode != 0) throw new InvalidOperationException($"publish failed: {sent.ErrorCode} {sent.ErrorMessage}");
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}

/// <summary>The ceiling: bench/peers/raw, plain WebSocket frames, no protocol.</summary>
internal sealed class RawTarget : IBenchTarget
{
    public string Name => "ceiling (raw Kestrel)";

    public Task<ServerProcess> StartAsync() => ServerProcess.StartDotnetAsync("chorus-raw.dll", ["--urls", "http://127.0.0.1:0"], BenchTargets.DotnetEnvironment());

    public async Task<IBenchClient> ConnectAsync(ServerProcess server, string room, string user, Action<long> onDelivered)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new UriBuilder(server.Url) { Scheme = "ws", Path = "/ws", Query = "room=" + Uri.EscapeDataString(room) }.Uri, CancellationToken.None);
        _ = Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    onDelivered(Measure.MicrosecondsSince(Encoding.UTF8.GetString(buffer, 0, r.Count)));
                }
            }
            catch (Exception) { }
        });
        return new Client(socket);
    }

    private sealed class Client(ClientWebSocket socket) : IBenchClient
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public async Task PublishAsync(int bytes)
        {
            await _gate.WaitAsync();
            try { await socket.SendAsync(Encoding.UTF8.GetBytes(Measure.StampedPayload(bytes)), WebSocketMessageType.Text, true, CancellationToken.None); }
            finally { _gate.Release(); }
        }

        public ValueTask DisposeAsync()
        {
            socket.Abort();
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>bench/peers/signalr: an ASP.NET Core SignalR hub, JSON protocol, WebSockets only, through the SignalR client.</summary>
internal sealed class SignalRTarget : IBenchTarget
{
    public string Name => "SignalR";

    public Task<ServerProcess> StartAsync() => ServerProcess.StartDotnetAsync("chorus-signalr-peer.dll", ["--urls", "http://127.0.0.1:0"], BenchTargets.DotnetEnvironment());

    public async Task<IBenchClient> ConnectAsync(ServerProcess server, string room, string user, Action<long> onDelivered)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.Url, "/hub"), HttpTransportType.WebSockets, o => o.SkipNegotiation = true)
            .Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        connection.On<string>("msg", payload => onDelivered(Measure.MicrosecondsSince(payload)));
        await connection.StartAsync();
        await connection.InvokeAsync("Join", room);
        return new Client(connection, room);
    }

    private sealed class Client(HubConnection connection, string room) : IBenchClient
    {
        public Task PublishAsync(int bytes) => connection.InvokeAsync("Publish", room, Measure.StampedPayload(bytes));

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}

/// <summary>
/// bench/peers/socketio: a Socket.IO server (Node.js, websocket transport only), driven through socket.io-client, its
/// own client library, in a Node.js agent process (bench/peers/socketio/agent.js) that this target commands over
/// stdin and stdout. The agent stamps payloads and measures latency with the same monotonic clock as .NET's Stopwatch.
/// Publishing is Socket.IO's default emit (no acknowledgment).
/// </summary>
internal sealed class SocketIoTarget : IBenchTarget
{
    private static string Directory => Path.Combine(ServerProcess.RepoRoot(), "bench", "peers", "socketio");

    public string Name => "Socket.IO";

    public async Task<ServerProcess> StartAsync()
    {
        var server = await ServerProcess.StartNodeAsync(Directory, "server.js");
        server.Companion = new SocketIoAgent(Directory);
        return server;
    }

    public async Task<IBenchClient> ConnectAsync(ServerProcess server, string room, string user, Action<long> onDelivered)
    {
        var agent = (SocketIoAgent)server.Companion!;
        int id = await agent.ConnectAsync(server.Url, room, onDelivered);
        return new Client(agent, id);
    }

    private sealed class Client(SocketIoAgent agent, int id) : IBenchClient
    {
        public Task PublishAsync(int bytes) => agent.SendAsync($"pub {id} {bytes}");

        public async ValueTask DisposeAsync() => await agent.SendAsync($"close {id}");
    }
}

/// <summary>The Node.js process that holds the Socket.IO clients (see bench/peers/socketio/agent.js for its commands).</summary>
internal sealed class SocketIoAgent : IAsyncDisposable
{
    private readonly Process _process;
    private readonly SemaphoreSlim _stdin = new(1, 1);
    private readonly ConcurrentDictionary<int, Action<long>> _deliveries = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _connecting = new();
    private readonly Task _reader;
    private int _nextId;

    public SocketIoAgent(string directory)
    {
        var info = new ProcessStartInfo("node", ["agent.js"])
        {
            WorkingDirectory = directory, RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        _process = Process.Start(info)!;
        _reader = Task.Run(ReadAsync);
    }

    public async Task<int> ConnectAsync(Uri url, string room, Action<long> onDelivered)
    {
        int id = Interlocked.Increment(ref _nextId);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connecting[id] = connected;
        _deliveries[id] = onDelivered;
        await SendAsync($"connect {id} {url.ToString().TrimEnd('/')} {room}");
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return id;
    }

    public async Task SendAsync(string command)
    {
        await _stdin.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
        }
        finally { _stdin.Release(); }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "d":
                    for (int i = 1; i + 1 < parts.Length; i += 2)
                        if (_deliveries.TryGetValue(int.Parse(parts[i], CultureInfo.InvariantCulture), out var onDelivered))
                            onDelivered(long.Parse(parts[i + 1], CultureInfo.InvariantCulture));
                    break;
                case "connected":
                    if (_connecting.TryRemove(int.Parse(parts[1], CultureInfo.InvariantCulture), out var done)) done.TrySetResult();
                    break;
                case "error":
                    if (_connecting.TryRemove(int.Parse(parts[1], CultureInfo.InvariantCulture), out var failed))
                        failed.TrySetException(new InvalidOperationException("socket.io-client: " + string.Join(' ', parts.Skip(2))));
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _process.Dispose();
    }
}
