using System.Net.WebSockets;
using System.Text;
using Chorus.Client;
using Chorus.Protocol;

namespace Chorus.Bench;

/// <summary>A server under test and how its own client library subscribes and publishes.</summary>
internal interface IBenchTarget
{
    string Name { get; }
    Task<ServerProcess> StartAsync();
    /// <summary>Connects a subscriber of the room; <paramref name="onMessage"/> gets each delivered payload.</summary>
    Task<IAsyncDisposable> SubscribeAsync(Uri url, int index, Action<string> onMessage);
    /// <summary>Connects the publisher; the returned function sends one payload.</summary>
    Task<(Func<string, Task> Publish, IAsyncDisposable Connection)> PublisherAsync(Uri url);
}

/// <summary>Chorus, with its full protocol, auth and presence, through its SDK (broadcast messages: reliable).</summary>
internal sealed class ChorusTarget : IBenchTarget
{
    private const uint AppId = 1;
    private const string Secret = "chorus-dev-secret-do-not-deploy!";

    public string Name => "Chorus";

    public Task<ServerProcess> StartAsync() => ServerProcess.StartAsync("chorus.dll",
    [
        "serve", "--port", "0", "--data", Path.Combine(Path.GetTempPath(), "chorus-bench-" + Guid.NewGuid().ToString("N")),
        // the benchmark floods on purpose: lift the per-client and per-room limits
        "--Chorus:BroadcastPerClientPerSecond=100000000", "--Chorus:BroadcastPerRoomPerSecond=100000000",
        "--Chorus:FramesPerConnectionPerSecond=100000000", "--Chorus:FramesPerAppPerSecond=100000000",
        "--Chorus:ConnectionsPerIpPerSecond=1000000", "--Logging:LogLevel:Default=Warning",
    ], new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" });

    public async Task<IAsyncDisposable> SubscribeAsync(Uri url, int index, Action<string> onMessage)
    {
        var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = url, AppId = AppId, RequestTimeout = TimeSpan.FromSeconds(60) });
        client.BroadcastMessageReceived += (_, e) => { foreach (var m in e.Messages) onMessage(m.Message); };
        var r = await client.LoginRoomAsync("bench", new RoomUser($"s{index}"), new RoomConfig { Token = Token04.Generate(AppId, $"s{index}", Secret, 3600), IsUserStatusNotify = false });
        if (r.ErrorCode != 0) throw new InvalidOperationException($"subscriber login failed: {r.ErrorCode} {r.ErrorMessage}");
        return client;
    }

    public async Task<(Func<string, Task>, IAsyncDisposable)> PublisherAsync(Uri url)
    {
        var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = url, AppId = AppId, RequestTimeout = TimeSpan.FromSeconds(60) });
        var r = await client.LoginRoomAsync("bench", new RoomUser("publisher"), new RoomConfig { Token = Token04.Generate(AppId, "publisher", Secret, 3600), IsUserStatusNotify = false });
        if (r.ErrorCode != 0) throw new InvalidOperationException($"publisher login failed: {r.ErrorCode}");
        return (async payload =>
        {
            var sent = await client.SendBroadcastMessageAsync("bench", payload);
            if (sent.ErrorCode != 0) throw new InvalidOperationException($"publish failed: {sent.ErrorCode} {sent.ErrorMessage}");
        }, client);
    }
}

/// <summary>The ceiling: bench/peers/raw, plain WebSocket frames, no protocol.</summary>
internal sealed class RawTarget : IBenchTarget
{
    public string Name => "ceiling (raw Kestrel)";

    public Task<ServerProcess> StartAsync() => ServerProcess.StartAsync("chorus-raw.dll", ["--urls", "http://127.0.0.1:0"],
        new Dictionary<string, string> { ["DOTNET_gcServer"] = "0", ["Logging__Console__LogToStandardErrorThreshold"] = "Trace", ["ASPNETCORE_hostBuilder__reloadConfigOnChange"] = "false" });

    public async Task<IAsyncDisposable> SubscribeAsync(Uri url, int index, Action<string> onMessage)
    {
        var socket = await ConnectAsync(url);
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
        return new SocketConnection(socket);
    }

    public async Task<(Func<string, Task>, IAsyncDisposable)> PublisherAsync(Uri url)
    {
        var socket = await ConnectAsync(url);
        var gate = new SemaphoreSlim(1, 1);
        return (async payload =>
        {
            await gate.WaitAsync();
            try { await socket.SendAsync(Encoding.UTF8.GetBytes(payload), WebSocketMessageType.Text, true, CancellationToken.None); }
            finally { gate.Release(); }
        }, new SocketConnection(socket));
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri url)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new UriBuilder(url) { Scheme = "ws", Path = "/ws" }.Uri, CancellationToken.None);
        return socket;
    }

    private sealed class SocketConnection(ClientWebSocket socket) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            socket.Abort();
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
