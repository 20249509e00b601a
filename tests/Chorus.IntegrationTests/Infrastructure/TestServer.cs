using System.Net.Http;
using System.Text;
using System.Text.Json;
using Chorus.Client;
using Chorus.Protocol;
using Chorus.Server.Hosting;
using Chorus.Storage.Postgres;
using Chorus.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Chorus.IntegrationTests.Infrastructure;

/// <summary>The real Chorus server on a free loopback port, with two apps (A and B), for one test.</summary>
public sealed class TestServer : IAsyncDisposable
{
    public const uint AppA = 1001;
    public const string SecretA = "test-secret-A-not-real-000000000";
    public const uint AppB = 1002;
    public const string SecretB = "test-secret-B-not-real-000000000";

    private readonly List<ChorusRoomClient> _clients = [];
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private TestServer(WebApplication app, Uri url, string dataDirectory)
    {
        App = app;
        Url = url;
        DataDirectory = dataDirectory;
    }

    /// <summary>This server's data directory (a fresh temporary one unless the test gave one).</summary>
    public string DataDirectory { get; }

    /// <summary>A fresh temporary directory, removed when the server that uses it is disposed.</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "chorus-test-" + Guid.NewGuid().ToString("N"));

    public WebApplication App { get; }
    public Uri Url { get; }
    public IServiceProvider Services => App.Services;

    public static async Task<TestServer> StartAsync(IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Chorus:Apps:0:AppId"] = AppA.ToString(),
            ["Chorus:Apps:0:ServerSecret"] = SecretA,
            ["Chorus:Apps:1:AppId"] = AppB.ToString(),
            ["Chorus:Apps:1:ServerSecret"] = SecretB,
            ["Chorus:DataDirectory"] = NewDataDirectory(),
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        // CHORUS_TEST_STORE=postgres runs the in-process servers on PostgreSQL (a fresh database each) instead of SQLite.
        string? postgres = Environment.GetEnvironmentVariable("CHORUS_TEST_STORE") == "postgres"
            ? await (await Chorus.ExternalServers.PostgresServer.GetSharedAsync()).CreateDatabaseAsync(TestContext.Current.CancellationToken)
            : null;
        var app = ChorusServerApp.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            if (postgres is null) builder.Services.AddSqliteStore();
            else builder.Services.AddPostgresStore(postgres);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            configure?.Invoke(builder);
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
        return new TestServer(app, new Uri(app.GetListeningAddresses().First()), config["Chorus:DataDirectory"]!);
    }

    public static string SecretOf(uint appId) => appId == AppB ? SecretB : SecretA;

    public string Token(string userId, uint appId = AppA, long lifetimeSeconds = 3600, string? payload = null) =>
        Token04.Generate(appId, userId, SecretOf(appId), lifetimeSeconds, payload);

    public ChorusRoomClient NewClient(uint appId = AppA, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null, Uri? url = null)
    {
        var options = new ChorusClientOptions { ServerUrl = url ?? Url, AppId = appId, RequestTimeout = TimeSpan.FromSeconds(5) };
        var client = new ChorusRoomClient(tweak is null ? options : tweak(options));
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>A client logged into <paramref name="roomId"/> as <paramref name="userId"/>; asserts success.</summary>
    public async Task<ChorusRoomClient> LoggedInAsync(string roomId, string userId, uint appId = AppA, bool notify = true)
    {
        var client = NewClient(appId);
        var result = await client.LoginRoomAsync(roomId, new RoomUser(userId), new RoomConfig { Token = Token(userId, appId), IsUserStatusNotify = notify }, TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ErrorCode);
        return client;
    }

    /// <summary>A chat client of app A logged in as <paramref name="userId"/>; asserts success.</summary>
    public async Task<ChorusChatClient> ChatAsync(string userId, Uri? url = null, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null)
    {
        var client = NewChat(url, tweak);
        var result = await client.LoginAsync(new ChatUserInfo(userId, userId), Token(userId), TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ErrorCode);
        return client;
    }

    private readonly List<ChorusChatClient> _chatClients = [];

    /// <summary>A chat client of app A, not logged in.</summary>
    public ChorusChatClient NewChat(Uri? url = null, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null)
    {
        var options = new ChorusClientOptions { ServerUrl = url ?? Url, AppId = AppA, RequestTimeout = TimeSpan.FromSeconds(5) };
        var client = new ChorusChatClient(tweak is null ? options : tweak(options));
        lock (_chatClients) _chatClients.Add(client);
        return client;
    }

    /// <summary>Signs and sends a server API POST with a JSON body; returns the parsed response.</summary>
    public Task<JsonElement> CallPostAsync(string action, string jsonBody) =>
        PostAsync("/?Action=" + action + "&" + ServerApiSignature.BuildCommonQuery(AppA, SecretA, DateTimeOffset.UtcNow), jsonBody);

    /// <summary>Signs and sends a server API GET; returns the parsed response.</summary>
    public Task<JsonElement> CallAsync(string action, params (string Key, string Value)[] parameters) =>
        CallAsync(action, AppA, SecretA, parameters);

    public async Task<JsonElement> CallAsync(string action, uint appId, string secret, params (string Key, string Value)[] parameters)
    {
        var query = new StringBuilder("Action=").Append(Uri.EscapeDataString(action));
        foreach (var (k, v) in parameters) query.Append('&').Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
        query.Append('&').Append(ServerApiSignature.BuildCommonQuery(appId, secret, DateTimeOffset.UtcNow));
        return await GetAsync("/?" + query);
    }

    /// <summary>Sends a raw GET (no signing) and parses the JSON answer.</summary>
    public async Task<JsonElement> GetAsync(string pathAndQuery)
    {
        using var response = await s_http.GetAsync(new Uri(Url, pathAndQuery), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}");
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> PostAsync(string pathAndQuery, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await s_http.PostAsync(new Uri(Url, pathAndQuery), content, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        ChorusRoomClient[] clients;
        lock (_clients) clients = [.. _clients];
        foreach (var c in clients) await c.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        ChorusChatClient[] chats;
        lock (_chatClients) chats = [.. _chatClients];
        foreach (var c in chats) await c.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        // Bounded: a shutdown that hangs fails the test instead of the whole run (graceful stop takes about 2 s at most).
        using (var stopDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await App.StopAsync(stopDeadline.Token).WaitAsync(TimeSpan.FromSeconds(40));
        await App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        if (DataDirectory.Contains("chorus-test-", StringComparison.Ordinal))
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
