using System.Net;
using System.Text.Json;
using Chorus.BrowserTests.Infrastructure;
using Chorus.Client;

namespace Chorus.BrowserTests;

/// <summary>The demo's HTTP surface: it exists only for the development app, and so does its token endpoint.</summary>
public sealed class DemoEndpointTests
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_demo_and_its_token_endpoint_do_not_exist_for_configured_apps()
    {
        await using var server = await WebServer.StartAsync(configuredApp: true, adminKey: null);
        using var unknown = await s_http.GetAsync(new Uri(server.Url, "/no-such-page"), Ct);
        string unknownBody = await unknown.Content.ReadAsStringAsync(Ct);
        foreach (string path in new[] { "/demo", "/demo/", "/demo/token?userId=alice", "/demo/token", "/demo/demo.js", "/demo/lib/index.js" })
        {
            using var response = await s_http.GetAsync(new Uri(server.Url, path), Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(unknownBody, await response.Content.ReadAsStringAsync(Ct));
            Assert.False(response.Headers.Contains("Content-Security-Policy"), path); // nothing tells it apart from any unknown path
        }
        using var post = await s_http.PostAsync(new Uri(server.Url, "/demo/token?userId=alice"), new StringContent(""), Ct);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task The_development_token_logs_in_and_a_bad_user_id_is_refused()
    {
        await using var server = await WebServer.StartAsync(adminKey: null);
        using var doc = JsonDocument.Parse(await s_http.GetStringAsync(new Uri(server.Url, "/demo/token?userId=" + Uri.EscapeDataString("ann é")), Ct));
        var root = doc.RootElement;
        Assert.Equal(1u, root.GetProperty("appId").GetUInt32());
        Assert.Equal("ann é", root.GetProperty("userId").GetString());
        Assert.Contains("development-only", root.GetProperty("note").GetString());
        await using var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = server.Url, AppId = 1, RequestTimeout = TimeSpan.FromSeconds(5) });
        var login = await client.LoginRoomAsync("r", new RoomUser("ann é"), new RoomConfig { Token = root.GetProperty("token").GetString()! }, Ct);
        Assert.Equal(0, login.ErrorCode);

        foreach (string bad in new[] { "", "?userId=", "?userId=" + new string('u', 65), "?userId=a%E2%80%8Bb" })
        {
            using var response = await s_http.GetAsync(new Uri(server.Url, "/demo/token" + bad), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("UserId", await response.Content.ReadAsStringAsync(Ct));
        }
        using var limit = await s_http.GetAsync(new Uri(server.Url, "/demo/token?userId=" + new string('u', 64)), Ct);
        Assert.Equal(HttpStatusCode.OK, limit.StatusCode);
        using var notGet = await s_http.PostAsync(new Uri(server.Url, "/demo/token?userId=a"), new StringContent(""), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, notGet.StatusCode);
    }
}
