using System.Net.WebSockets;
using System.Text;
using Chorus.Client;
using Chorus.Protocol;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using SocketIOClient;
using SocketIOClient.Transport;

namespace Chorus.Bench;

/// <summary>A server under test and how its own client library joins a room and publishes to it.</summary>
internal interface IBenchTarget
{
    string Name { get; }

    Task<ServerProcess> StartAsync();

    /// <summary>
    /// Connects one client as <paramref name="user"/> and joins <paramref name="room"/>; <paramref name="onMessage"/>
    /// gets each payload published to the room by someone else.
    /// </summary>
    Task<IBenchClient> ConnectAsync(Uri url, string room, string user, Action<string> onMessage);
}

/// <summary>One connected client of a target.</summary>
internal interface IBenchClient : IAsyncDisposable
{
    /// <summary>Publishes to the room the client joined; completes when the server acknowledged it (where it does).</summary>
    Task PublishAsync(string payload);
}

/// <summary>Every target, in the order the tables list them.</summary>
internal static class BenchTargets
{
    public static IBenchTarget[] All(bool withPeers) => withPeers
        ? [new RawTarget(), new ChorusTarget(), new SignalRTarget(), new SocketIoTarget()]
        : [new RawTarget(), new ChorusTarget()];

    /// <summary>Environment for a .NET server: workstation GC, the setting every .NET target runs with (chosen by measurement: see the README).</summary>
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

    public Task<ServerProcess> StartAsync() => ServerProcess.StartDotnetAsync("chorus.dll",
    [
        "serve", "--port", "0", "--data", Path.Combine(Path.GetTempPath(), "chorus-bench-" + Guid.NewGuid().ToString("N")),
        // the benchmark floods on purpose: lift the per-client and per-room limits
        "--Chorus:BroadcastPerClientPerSecond=100000000", "--Chorus:BroadcastPerRoomPerSecond=100000000",
        "--Chorus:FramesPerConnectionPerSecond=100000000", "--Chorus:FramesPerAppPerSecond=100000000",
        "--Chorus:ConnectionsPerIpPerSecond=1000000", "--Chorus:ChatSendsPerSecond=100000000",
        "--Logging:LogLevel:Default=Warning",
    ], BenchTargets.DotnetEnvironment());

    public async Task<IBenchClient> ConnectAsync(Uri url, string room, string user, Action<string> onMessage)
    {
        var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = url, AppId = AppId, RequestTimeout = TimeSpan.FromSeconds(60), ConnectTimeout = TimeSpan.FromSeconds(60) });
        client.BroadcastMessageReceived += (_, e) => { foreach (var m in e.Messages) onMessage(m.Message); };
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
        public async Task PublishAsync(string payload)
        {
            var sent = await client.SendBroadcastMessageAsync(room, payload);
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

    public async Task<IBenchClient> ConnectAsync(Uri url, string room, string user, Action<string> onMessage)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new UriBuilder(url) { Scheme = "ws", Path = "/ws", Query = "room=" + Uri.EscapeDataString(room) }.Uri, CancellationToken.None);
        _ = Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    onMessage(Encoding.UTF8.GetString(buffer, 0, r.Count));
                }
            }
            catch (Exception) { }
        });
        return new Client(socket);
    }

    private sealed class Client(ClientWebSocket socket) : IBenchClient
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public async Task PublishAsync(string payload)
        {
            await _gate.WaitAsync();
            try { await socket.SendAsync(Encoding.UTF8.GetBytes(payload), WebSocketMessageType.Text, true, CancellationToken.None); }
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

    public async Task<IBenchClient> ConnectAsync(Uri url, string room, string user, Action<string> onMessage)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(url, "/hub"), HttpTransportType.WebSockets, o => o.SkipNegotiation = true)
            .Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        connection.On<string>("msg", onMessage);
        await connection.StartAsync();
        await connection.InvokeAsync("Join", room);
        return new Client(connection, room);
    }

    private sealed class Client(HubConnection connection, string room) : IBenchClient
    {
        public Task PublishAsync(string payload) => connection.InvokeAsync("Publish", room, payload);

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}

/// <summary>bench/peers/socketio: a Socket.IO server (Node.js, websocket transport only), through a Socket.IO client for .NET.</summary>
internal sealed class SocketIoTarget : IBenchTarget
{
    public string Name => "Socket.IO";

    public Task<ServerProcess> StartAsync() => ServerProcess.StartNodeAsync(Path.Combine(ServerProcess.RepoRoot(), "bench", "peers", "socketio"));

    public async Task<IBenchClient> ConnectAsync(Uri url, string room, string user, Action<string> onMessage)
    {
        var client = new SocketIO(url, new SocketIOOptions
        {
            Transport = TransportProtocol.WebSocket,
            AutoUpgrade = false,
            Reconnection = false,
            ConnectionTimeout = TimeSpan.FromSeconds(60),
        });
        client.On("msg", response => onMessage(response.GetValue<string>()));
        await client.ConnectAsync();
        await EmitWithAckAsync(client, "join", room);
        return new Client(client, room);
    }

    private static Task EmitWithAckAsync(SocketIO client, string eventName, params object[] data)
    {
        var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = client.EmitAsync(eventName, _ => acknowledged.TrySetResult(), data)
            .ContinueWith(t => acknowledged.TrySetException(t.Exception!.InnerExceptions), TaskContinuationOptions.OnlyOnFaulted);
        return acknowledged.Task;
    }

    private sealed class Client(SocketIO client, string room) : IBenchClient
    {
        public Task PublishAsync(string payload) => EmitWithAckAsync(client, "publish", room, payload);

        public async ValueTask DisposeAsync()
        {
            try { await client.DisconnectAsync(); } catch (Exception) { }
            client.Dispose();
        }
    }
}
