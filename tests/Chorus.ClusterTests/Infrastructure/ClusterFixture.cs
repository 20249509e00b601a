using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Chorus.Client;
using Chorus.ExternalServers;
using Chorus.Protocol;

namespace Chorus.ClusterTests.Infrastructure;

/// <summary>
/// Three <c>chorus serve</c> processes on one redis-server and one PostgreSQL database, shared by the tests of a class
/// (each test uses its own room and user ids: <see cref="NewPrefix"/>). Clients are C# SDK clients pointed at a node.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public const uint AppId = 1001;
    public const string Secret = "cluster-test-secret-not-real-000";
    public const int NodeCount = 3;

    /// <summary>The server API's SendGroupMessage rate per app per second in the cluster (the other actions' are raised out of the way).</summary>
    public const int GroupMessageRate = 4;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private static int s_prefix;
    private readonly List<IAsyncDisposable> _clients = [];

    /// <summary>The arguments every node gets: one app, rates raised so that tests are not limited, quiet logs.</summary>
    public static readonly string[] NodeArguments =
    [
        "--app", $"{AppId}:{Secret}",
        "--Chorus:OnlineCountInterval=00:00:01",
        "--Chorus:BroadcastPerRoomPerSecond=10000", "--Chorus:BroadcastPerClientPerSecond=10000",
        "--Chorus:BarragePerRoomPerSecond=10000", "--Chorus:CustomCommandToManyPerSecond=10000",
        "--Chorus:ChatSendsPerSecond=10000",
        .. new[] { "SendCustomCommand", "SendBroadcastMessage", "SendBarrageMessage", "DescribeUserNum", "DescribeUsers", "KickoutUser",
            "CloseRoom", "SendPeerMessage", "SendRoomMessage", "QueryUserOnlineState" }
            .Select(a => $"--Chorus:ServerApiRatePerSecond:{a}=10000"),
        $"--Chorus:ServerApiRatePerSecond:SendGroupMessage={GroupMessageRate}", // ServerApiClusterTests checks this one's cluster-wide limit
        "--Logging:LogLevel:Default=Warning",
    ];

    public const string CallbackSecret = "cluster-callback-secret-not-real";

    public ChorusCluster Cluster { get; private set; } = null!;

    /// <summary>The app's backend: every node POSTs the room callbacks here.</summary>
    public WebhookReceiver Webhooks { get; private set; } = null!;

    /// <summary>Arguments added to <see cref="NodeArguments"/> by a derived fixture.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    public async ValueTask InitializeAsync()
    {
        Webhooks = await WebhookReceiver.StartAsync();
        string[] callbacks = [$"--Chorus:Apps:0:CallbackUrl={Webhooks.Url}", $"--Chorus:Apps:0:CallbackSecret={CallbackSecret}"];
        Cluster = await ChorusCluster.StartAsync(NodeCount, [.. NodeArguments, .. callbacks, .. ExtraArguments]);
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] clients;
        lock (_clients) clients = [.. _clients];
        foreach (var c in clients)
        {
            try { await c.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (TimeoutException) { }
        }
        if (Cluster is not null) await Cluster.DisposeAsync();
        if (Webhooks is not null) await Webhooks.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A short prefix unique in this test process, for the room and user ids of one test.</summary>
    public static string NewPrefix() => "t" + Interlocked.Increment(ref s_prefix).ToString(CultureInfo.InvariantCulture);

    /// <summary>The url of node <paramref name="node"/> (0-based).</summary>
    public Uri Url(int node) => Cluster[node].Url;

    /// <summary>Every node's stderr, for failure messages.</summary>
    public string Logs() => string.Join("\n", Cluster.Nodes.Select((n, i) => $"--- node {i + 1} ---\n{n.Stderr}"));

    public static string Token(string userId, long lifetimeSeconds = 3600) => Token04.Generate(AppId, userId, Secret, lifetimeSeconds);

    public ChorusClientOptions Options(Uri url) => new() { ServerUrl = url, AppId = AppId, RequestTimeout = TimeSpan.FromSeconds(10) };

    /// <summary>A room client connected to <paramref name="url"/>, not logged in.</summary>
    public ChorusRoomClient NewRoomClient(Uri url, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null)
    {
        var options = Options(url);
        var client = new ChorusRoomClient(tweak is null ? options : tweak(options));
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>A room client of node <paramref name="node"/> logged into <paramref name="roomId"/>; asserts success.</summary>
    public Task<ChorusRoomClient> InRoomAsync(int node, string roomId, string userId) => InRoomAsync(Url(node), roomId, userId);

    public async Task<ChorusRoomClient> InRoomAsync(Uri url, string roomId, string userId, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null)
    {
        var client = NewRoomClient(url, tweak);
        var result = await client.LoginRoomAsync(roomId, new RoomUser(userId), new RoomConfig { Token = Token(userId) }, TestContext.Current.CancellationToken);
        Assert.True(result.ErrorCode == 0, $"login of {userId} to {roomId} at {url} failed: {result.ErrorCode} {result.ErrorMessage}");
        return client;
    }

    /// <summary>A chat client connected to <paramref name="url"/>, not logged in.</summary>
    public ChorusChatClient NewChatClient(Uri url, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null)
    {
        var options = Options(url);
        var client = new ChorusChatClient(tweak is null ? options : tweak(options));
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>A chat client of node <paramref name="node"/> logged in as <paramref name="userId"/>; asserts success.</summary>
    public Task<ChorusChatClient> ChatAsync(int node, string userId) => ChatAsync(Url(node), userId);

    public async Task<ChorusChatClient> ChatAsync(Uri url, string userId, Func<ChorusClientOptions, ChorusClientOptions>? tweak = null)
    {
        var client = NewChatClient(url, tweak);
        var result = await client.LoginAsync(new ChatUserInfo(userId, userId), Token(userId), TestContext.Current.CancellationToken);
        Assert.True(result.ErrorCode == 0, $"chat login of {userId} at {url} failed: {result.ErrorCode} {result.ErrorMessage}");
        return client;
    }

    /// <summary>Signs and sends a server API GET to node <paramref name="node"/>; returns the parsed answer.</summary>
    public async Task<JsonElement> CallAsync(int node, string action, params (string Key, string Value)[] parameters)
    {
        var query = new StringBuilder("/?Action=").Append(Uri.EscapeDataString(action));
        foreach (var (k, v) in parameters) query.Append('&').Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
        query.Append('&').Append(ServerApiSignature.BuildCommonQuery(AppId, Secret, DateTimeOffset.UtcNow));
        using var response = await s_http.GetAsync(new Uri(Url(node), query.ToString()), TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} from node {node + 1}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Signs and sends a server API POST with a JSON body to node <paramref name="node"/>; returns the parsed answer.</summary>
    public async Task<JsonElement> PostAsync(int node, string action, string json)
    {
        string pathAndQuery = "/?Action=" + action + "&" + ServerApiSignature.BuildCommonQuery(AppId, Secret, DateTimeOffset.UtcNow);
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await s_http.PostAsync(new Uri(Url(node), pathAndQuery), content, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} from node {node + 1}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static int Code(JsonElement response) => response.GetProperty("Code").GetInt32();
}
