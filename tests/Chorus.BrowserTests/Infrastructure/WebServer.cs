using System.Collections.Concurrent;
using Chorus.Client;
using Chorus.Protocol;
using Chorus.Server.Hosting;
using Chorus.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Chorus.BrowserTests.Infrastructure;

/// <summary>The real Chorus server in-process on a free loopback port, for one test.</summary>
public sealed class WebServer : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-not-real-0000";
    public const uint DevAppId = 1;
    public const uint ConfiguredAppId = 1001;
    public const string ConfiguredSecret = "test-secret-A-not-real-000000000";

    private readonly List<IAsyncDisposable> _clients = [];

    private WebServer(WebApplication app, Uri url, string dataDirectory, ConcurrentQueue<(int EventId, string Text)> logs)
    {
        App = app;
        Url = url;
        DataDirectory = dataDirectory;
        Logs = logs;
    }

    /// <summary>What the server logged (Warning and above): event id and text.</summary>
    public ConcurrentQueue<(int EventId, string Text)> Logs { get; }

    public WebApplication App { get; }
    public Uri Url { get; }
    public string DataDirectory { get; }
    public IServiceProvider Services => App.Services;

    /// <summary>Starts a server: with the development app unless <paramref name="configuredApp"/>; with the admin page when <paramref name="adminKey"/> is given.</summary>
    public static async Task<WebServer> StartAsync(bool configuredApp = false, string? adminKey = AdminKey, IDictionary<string, string?>? settings = null)
    {
        string data = Path.Combine(Path.GetTempPath(), "chorus-browser-test-" + Guid.NewGuid().ToString("N"));
        var config = new Dictionary<string, string?> { ["Chorus:DataDirectory"] = data };
        if (configuredApp)
        {
            config["Chorus:Apps:0:AppId"] = ConfiguredAppId.ToString();
            config["Chorus:Apps:0:ServerSecret"] = ConfiguredSecret;
        }
        if (adminKey is not null) config["Chorus:AdminKey"] = adminKey;
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var logs = new ConcurrentQueue<(int, string)>();
        var app = ChorusServerApp.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Services.AddSqliteStore();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
        });
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new WebServer(app, new Uri(app.GetListeningAddresses().First()), data, logs);
    }

    public string Token(string userId) => Token04.Generate(DevAppId, userId, ChorusServerOptions.DevApp.ServerSecret, 3600);

    /// <summary>A C# SDK room client of the development app logged into <paramref name="roomId"/>; asserts success.</summary>
    public async Task<ChorusRoomClient> RoomClientAsync(string roomId, string userId)
    {
        var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = Url, AppId = DevAppId, RequestTimeout = TimeSpan.FromSeconds(5) });
        lock (_clients) _clients.Add(client);
        var result = await client.LoginRoomAsync(roomId, new RoomUser(userId), new RoomConfig { Token = Token(userId), IsUserStatusNotify = true }, TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ErrorCode);
        return client;
    }

    /// <summary>A C# SDK chat client of the development app, logged in; asserts success.</summary>
    public async Task<ChorusChatClient> ChatClientAsync(string userId)
    {
        var client = new ChorusChatClient(new ChorusClientOptions { ServerUrl = Url, AppId = DevAppId, RequestTimeout = TimeSpan.FromSeconds(5) });
        lock (_clients) _clients.Add(client);
        var result = await client.LoginAsync(new ChatUserInfo(userId, userId), Token(userId), TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ErrorCode);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] clients;
        lock (_clients) clients = [.. _clients];
        foreach (var c in clients) await c.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await App.StopAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(40));
        await App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(int, string)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink);
        public void Dispose() { }

        private sealed class CapturingLogger(ConcurrentQueue<(int, string)> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) sink.Enqueue((eventId.Id, formatter(state, exception) + (exception is null ? "" : " " + exception)));
            }
        }
    }
}
