using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Chorus.BrowserTests.Infrastructure;
using Chorus.Client;
using Chorus.Protocol;
using Chorus.Server.Rooms;
using Chorus.Server.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chorus.BrowserTests;

/// <summary>The admin API over plain HTTP: its existence, its key, its CSRF checks and its actions.</summary>
public sealed class AdminApiTests
{
    private static readonly HttpClient s_http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Request(WebServer server, HttpMethod method, string path, string? key = WebServer.AdminKey, string? json = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, new Uri(server.Url, path));
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, contentType);
        if (json is not null) request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        var response = await s_http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response);
    }

    [Fact]
    public async Task Without_an_admin_key_there_is_no_admin_surface_at_all()
    {
        await using var server = await WebServer.StartAsync(adminKey: null);
        var unknown = await SendAsync(Request(server, HttpMethod.Get, "/no-such-page", key: null));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/admin"), (HttpMethod.Get, "/admin/"), (HttpMethod.Get, "/admin/admin.js"),
                     (HttpMethod.Get, "/admin/api/overview"), (HttpMethod.Post, "/admin/api/kick"), (HttpMethod.Head, "/admin"), (HttpMethod.Delete, "/admin/api/close-room") })
        {
            // With the key or without, any method: the same answer as a path that does not exist.
            var answer = await SendAsync(Request(server, method, path, json: method == HttpMethod.Post ? "{}" : null));
            Assert.Equal(HttpStatusCode.NotFound, answer.Status);
            Assert.Equal(unknown.Body, answer.Body);
            Assert.False(answer.Response.Headers.Contains("WWW-Authenticate"), path);
        }
    }

    [Fact]
    public async Task A_short_admin_key_stops_the_start_with_a_settings_error()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => WebServer.StartAsync(adminKey: "short-key-15chr"));
        Assert.Contains("Chorus:AdminKey must be at least 16 characters", failure.Message);
        Assert.DoesNotContain("short-key-15chr", failure.Message);
        // Exactly at the minimum is accepted.
        await using var server = await WebServer.StartAsync(adminKey: "exactly-16-chars");
        var ok = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview", key: "exactly-16-chars"));
        Assert.Equal(HttpStatusCode.OK, ok.Status);
    }

    [Fact]
    public async Task A_missing_or_wrong_key_gets_one_answer_whatever_failed()
    {
        await using var server = await WebServer.StartAsync(settings: null);
        var refusals = new List<(HttpStatusCode, string)>();
        foreach (string? authorization in new[] { null, "Bearer", "Bearer ", "Bearer wrong-key-wrong-key-wrong", "Bearer " + WebServer.AdminKey + "x",
                     "Bearer " + WebServer.AdminKey[..^1], "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + WebServer.AdminKey)), WebServer.AdminKey })
        {
            var request = Request(server, HttpMethod.Get, "/admin/api/overview", key: null);
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            var (status, body, response) = await SendAsync(request);
            refusals.Add((status, body));
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        }
        Assert.All(refusals, r => Assert.Equal((HttpStatusCode.Unauthorized, AdminEndpoint.UnauthorizedBody), r));
        var ok = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview"));
        Assert.Equal(HttpStatusCode.OK, ok.Status);
    }

    [Fact]
    public async Task Failed_attempts_are_limited_per_source_address_but_the_right_key_always_gets_in()
    {
        await using var server = await WebServer.StartAsync();
        for (int i = 0; i < AdminEndpoint.FailedAttemptsPerAddressPerMinute; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview", key: "guess-" + i))).Status);
        var throttled = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview", key: "guess-x"));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.Status);
        Assert.Equal("60", throttled.Response.Headers.RetryAfter?.ToString());
        // Behind a proxy every visitor shares one address: a flood of guesses must not lock the operators out.
        var right = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview"));
        Assert.Equal(HttpStatusCode.OK, right.Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/kick", json: """{"appId":1,"roomId":"r","userIds":["u"]}"""))).Status);
        // Wrong keys stay throttled, and are no longer logged one by one.
        for (int i = 0; i < 20; i++)
        {
            var guess = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview", key: "more-guesses-" + i));
            Assert.Equal((HttpStatusCode.TooManyRequests, throttled.Body), (guess.Status, guess.Body));
        }
        Assert.Equal(AdminEndpoint.FailedAttemptsPerAddressPerMinute, server.Logs.Count(l => l.EventId == 6101));
        Assert.Single(server.Logs, l => l.EventId == 6104);
    }

    [Fact]
    public async Task Cross_origin_refusals_count_toward_the_limit_and_are_logged_a_bounded_number_of_times()
    {
        await using var server = await WebServer.StartAsync();
        for (int i = 0; i < 30; i++)
        {
            var request = Request(server, HttpMethod.Post, "/admin/api/close-room", key: null, json: "{}");
            request.Headers.TryAddWithoutValidation("Origin", "http://attacker.test");
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(request)).Status);
        }
        Assert.Equal(AdminEndpoint.FailedAttemptsPerAddressPerMinute, server.Logs.Count(l => l.EventId == 6102));
        Assert.Single(server.Logs, l => l.EventId == 6104);
        // They filled the address's window: a wrong key now gets 429 unlogged, the right key still gets in.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview", key: "guess"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview"))).Status);
        Assert.DoesNotContain(server.Logs, l => l.EventId == 6101);
    }

    /// <summary>A body sent chunked (no Content-Length), as a stream the client cannot measure.</summary>
    private sealed class ChunkedContent(byte[] data) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (int i = 0; i < data.Length; i += 4096) await stream.WriteAsync(data.AsMemory(i, Math.Min(4096, data.Length - i)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static byte[] PaddedCloseRoom(int size)
    {
        string head = """{"appId":1,"roomId":"no-such-room","pad":" """.TrimEnd(), tail = "\"}";
        return Encoding.UTF8.GetBytes(head + new string('p', size - head.Length - tail.Length) + tail);
    }

    [Fact]
    public async Task A_chunked_body_over_16_KiB_is_refused_with_the_security_headers()
    {
        await using var server = await WebServer.StartAsync();
        async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> PostChunkedAsync(byte[] body)
        {
            var request = Request(server, HttpMethod.Post, "/admin/api/close-room");
            request.Content = new ChunkedContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
            return await SendAsync(request);
        }
        // Exactly at the limit the body is read (and the room does not exist); one byte over is refused.
        var atLimit = await PostChunkedAsync(PaddedCloseRoom(AdminEndpoint.MaxBodyBytes));
        Assert.Equal((HttpStatusCode.NotFound, """{"error":"room does not exist"}"""), (atLimit.Status, atLimit.Body));
        var over = await PostChunkedAsync(PaddedCloseRoom(AdminEndpoint.MaxBodyBytes + 1));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.Status);
        Assert.Contains("larger than 16384 bytes", over.Body);
        var huge = await PostChunkedAsync(PaddedCloseRoom(1024 * 1024));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.Status);
        Assert.Equal("DENY", Assert.Single(huge.Response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal(WebHeadersCsp, Assert.Single(huge.Response.Headers.GetValues("Content-Security-Policy")));
    }

    private const string WebHeadersCsp = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    [Fact]
    public async Task A_duplicate_key_or_deep_nesting_is_a_400_with_the_security_headers_not_a_crash()
    {
        await using var server = await WebServer.StartAsync();
        foreach (string json in new[] { """{"appId":1,"appId":1,"roomId":"r"}""", """{"appId":1,"roomId":"r","roomId":"s"}""",
                     """{"appId":1,"roomId":"r","x":[[[[[[[[[1]]]]]]]]]}""" })
        {
            var answer = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", json: json));
            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.Contains("no duplicate keys", answer.Body);
            Assert.DoesNotContain("   at ", answer.Body);
            Assert.Equal(WebHeadersCsp, Assert.Single(answer.Response.Headers.GetValues("Content-Security-Policy")));
        }
        // Nesting up to the depth limit is fine.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", json: """{"appId":1,"roomId":"r","x":[[[[[[[1]]]]]]]}"""))).Status);
        Assert.DoesNotContain(server.Logs, l => l.EventId == 6105);
    }

    [Theory]
    [InlineData("exactly-16-chars", true)]
    [InlineData("with inner space!", true)]
    [InlineData("!~printable-ascii-edges~!", true)]
    [InlineData("exactly-16-chars ", false)]
    [InlineData(" exactly-16-chars", false)]
    [InlineData("exactly-16-chars\t", false)]
    [InlineData("tab\tinside-the-key", false)]
    [InlineData("non-ascii-key-ä-16", false)]
    [InlineData("del-char-\u007f-in-key", false)]
    public void The_admin_key_must_be_printable_ascii_without_outer_spaces(string key, bool accepted)
    {
        var result = new Chorus.Server.Hosting.AdminOptionsValidator().Validate(null, new Chorus.Server.Hosting.AdminOptions { AdminKey = key });
        Assert.Equal(accepted, result.Succeeded);
        if (!accepted) Assert.DoesNotContain(key.Trim(), result.FailureMessage);
    }

    [Fact]
    public async Task A_key_with_a_trailing_space_stops_the_start()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => WebServer.StartAsync(adminKey: WebServer.AdminKey + " "));
        Assert.Contains("must not start or end with a space", failure.Message);
        Assert.DoesNotContain(WebServer.AdminKey, failure.Message);
    }

    [Fact]
    public async Task One_under_the_failure_limit_the_right_key_still_gets_in()
    {
        await using var server = await WebServer.StartAsync();
        for (int i = 0; i < AdminEndpoint.FailedAttemptsPerAddressPerMinute - 1; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview", key: "guess-" + i))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview"))).Status);
    }

    [Fact]
    public async Task State_changes_need_a_json_post_from_this_origin()
    {
        await using var server = await WebServer.StartAsync();
        await using var member = await server.RoomClientAsync("csrf-room", "alice");
        string body = """{"appId":1,"roomId":"csrf-room","reason":"x"}""";

        // What an HTML form can send: no key, and a form content type.
        var form = Request(server, HttpMethod.Post, "/admin/api/close-room", key: null, json: "appId=1&roomId=csrf-room", contentType: "application/x-www-form-urlencoded");
        form.Headers.TryAddWithoutValidation("Origin", "http://attacker.test");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(form)).Status);
        // No headers at all.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", key: null, json: body))).Status);
        // Even with the key: another origin, a cross-site fetch, a non-JSON type, a GET.
        var otherOrigin = Request(server, HttpMethod.Post, "/admin/api/close-room", json: body);
        otherOrigin.Headers.TryAddWithoutValidation("Origin", "http://attacker.test");
        var otherOriginAnswer = await SendAsync(otherOrigin);
        Assert.Equal(HttpStatusCode.Forbidden, otherOriginAnswer.Status);
        Assert.Contains("cross-origin", otherOriginAnswer.Body);
        var nullOrigin = Request(server, HttpMethod.Post, "/admin/api/close-room", json: body);
        nullOrigin.Headers.TryAddWithoutValidation("Origin", "null");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(nullOrigin)).Status);
        var otherPort = Request(server, HttpMethod.Post, "/admin/api/close-room", json: body);
        otherPort.Headers.TryAddWithoutValidation("Origin", $"http://127.0.0.1:{server.Url.Port + 1}");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(otherPort)).Status);
        var crossSite = Request(server, HttpMethod.Post, "/admin/api/close-room", json: body);
        crossSite.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(crossSite)).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", json: body, contentType: "text/plain"))).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", json: body, contentType: "application/x-www-form-urlencoded"))).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await SendAsync(Request(server, HttpMethod.Get, "/admin/api/close-room"))).Status);
        Assert.Equal(1, await server.Services.GetRequiredService<IRoomLifetimeManager>().CountAsync(WebServer.DevAppId, "csrf-room"));

        // The page's own request: the key, JSON, this origin.
        var own = Request(server, HttpMethod.Post, "/admin/api/close-room", json: body);
        own.Headers.TryAddWithoutValidation("Origin", server.Url.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(own)).Status);
        Assert.Equal(0, await server.Services.GetRequiredService<IRoomLifetimeManager>().CountAsync(WebServer.DevAppId, "csrf-room"));
    }

    [Fact]
    public async Task Actions_run_the_server_api_paths_and_refuse_bad_input()
    {
        await using var server = await WebServer.StartAsync();
        var alice = await server.RoomClientAsync("ops", "alice");
        var bob = await server.RoomClientAsync("ops", "bob");
        var commands = new TaskCompletionSource<CustomCommandReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.CustomCommandReceived += (_, e) => commands.TrySetResult(e);
        var kicked = new TaskCompletionSource<RoomStateChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.RoomStateChanged += (_, e) => { if (e.Reason == RoomStateReason.KickOut) kicked.TrySetResult(e); };

        var sent = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/custom-command", json: """{"appId":1,"roomId":"ops","fromUserId":"admin","toUserIds":["alice","nobody"],"content":"hello from the admin"}"""));
        Assert.Equal(HttpStatusCode.OK, sent.Status);
        using (var doc = JsonDocument.Parse(sent.Body))
        {
            var failed = doc.RootElement.GetProperty("failedUsers");
            Assert.Equal("nobody", Assert.Single(failed.EnumerateArray()).GetProperty("userId").GetString());
            Assert.Equal(ServerApiCodes.UserNotOnline, failed[0].GetProperty("code").GetInt32());
        }
        var command = await commands.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(("admin", "hello from the admin"), (command.FromUser.UserId, command.Command));

        var kick = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/kick", json: """{"appId":1,"roomId":"ops","userIds":["bob"],"reason":"be nice"}"""));
        Assert.Equal((HttpStatusCode.OK, """{"ok":true,"kicked":1}"""), (kick.Status, kick.Body));
        var state = await kicked.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal((RoomErrorCodes.KickedByServer, "be nice"), (state.ErrorCode, state.ExtendedData));

        foreach (var (path, json, expected) in new[]
                 {
                     ("custom-command", """{"appId":2,"roomId":"ops","fromUserId":"a","content":"x"}""", "appId must be the AppId of a hosted app"),
                     ("custom-command", """{"appId":1,"roomId":"bad room","fromUserId":"a","content":"x"}""", "RoomId holds a character"),
                     ("custom-command", """{"appId":1,"roomId":"ops","fromUserId":"","content":"x"}""", "fromUserId is empty"),
                     ("custom-command", """{"appId":1,"roomId":"ops","fromUserId":"a","content":""}""", "content must be 1-1024 bytes"),
                     ("custom-command", "{\"appId\":1,\"roomId\":\"ops\",\"fromUserId\":\"a\",\"content\":\"" + new string('x', 1025) + "\"}", "content must be 1-1024 bytes"),
                     ("custom-command", """{"appId":1,"roomId":"ops","fromUserId":"a","toUserIds":["1","2","3","4","5","6","7","8","9","10","11"],"content":"x"}""", "more than 10 users"),
                     ("kick", """{"appId":1,"roomId":"ops","userIds":[]}""", "userIds must be an array of 1-5 user ids"),
                     ("kick", """{"appId":1,"roomId":"ops","userIds":["1","2","3","4","5","6"]}""", "userIds must be an array of 1-5 user ids"),
                     ("kick", "{\"appId\":1,\"roomId\":\"ops\",\"userIds\":[\"a\"],\"reason\":\"" + new string('r', 257) + "\"}", "reason is longer than 256 bytes"),
                     ("close-room", "[1,2]", "the body must be a JSON object"),
                     ("close-room", "{not json", "the body must be a JSON object"),
                 })
        {
            var answer = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/" + path, json: json));
            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.Contains(expected, answer.Body);
        }
        // Exactly at the limits passes.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/custom-command",
            json: "{\"appId\":1,\"roomId\":\"ops\",\"fromUserId\":\"a\",\"content\":\"" + new string('x', 1024) + "\"}"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/kick",
            json: "{\"appId\":1,\"roomId\":\"ops\",\"userIds\":[\"n1\",\"n2\",\"n3\",\"n4\",\"n5\"],\"reason\":\"" + new string('r', 256) + "\"}"))).Status);

        var close = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", json: """{"appId":1,"roomId":"ops"}"""));
        Assert.Equal(HttpStatusCode.OK, close.Status);
        Assert.Equal(0, await server.Services.GetRequiredService<IRoomLifetimeManager>().CountAsync(WebServer.DevAppId, "ops"));
        var again = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/close-room", json: """{"appId":1,"roomId":"ops"}"""));
        Assert.Equal((HttpStatusCode.NotFound, """{"error":"room does not exist"}"""), (again.Status, again.Body));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(server, HttpMethod.Post, "/admin/api/no-such-action", json: "{}"))).Status);
    }

    [Fact]
    public async Task The_overview_lists_apps_rooms_users_connections_and_frame_counts()
    {
        await using var server = await WebServer.StartAsync();
        var alice = await server.RoomClientAsync("room-1", "alice");
        await server.RoomClientAsync("room-1", "bob");
        await server.RoomClientAsync("room-2", "carol");
        for (int i = 0; i < 3; i++) await alice.SendBroadcastMessageAsync("room-1", "hi " + i, Ct);

        var (status, body, _) = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview"));
        Assert.Equal(HttpStatusCode.OK, status);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("connections").GetInt32());
        Assert.Equal(server.Services.GetRequiredService<Chorus.Server.Core.NodeIdentity>().Id, root.GetProperty("nodeId").GetInt32());
        Assert.Equal(2, root.GetProperty("roomCount").GetInt32());
        var app = Assert.Single(root.GetProperty("apps").EnumerateArray());
        Assert.Equal((1u, true, 2, 3, 3), (app.GetProperty("appId").GetUInt32(), app.GetProperty("development").GetBoolean(), app.GetProperty("rooms").GetInt32(), app.GetProperty("roomUsers").GetInt32(), app.GetProperty("connections").GetInt32()));
        var rooms = root.GetProperty("rooms").EnumerateArray().ToList();
        Assert.Equal(["room-1", "room-2"], rooms.Select(r => r.GetProperty("roomId").GetString()));
        Assert.Equal(["alice", "bob"], rooms[0].GetProperty("users").EnumerateArray().Select(u => u.GetProperty("userId").GetString()));
        Assert.Equal(2, rooms[0].GetProperty("userCount").GetInt32());
        var frames = root.GetProperty("frames");
        // Three logins and three broadcasts at least were read; hellos, results and the broadcasts to bob were written.
        Assert.True(frames.GetProperty("received").GetInt64() >= 6, body);
        Assert.True(frames.GetProperty("sent").GetInt64() >= 9, body);
        Assert.True(frames.GetProperty("receivedPerSecond").GetDouble() > 0, body);
        var chatDelivery = root.GetProperty("chatDelivery");
        Assert.Equal(Chorus.Server.Chat.ChatFanout.Capacity, chatDelivery.GetProperty("capacity").GetInt32());
        Assert.Equal(server.Services.GetRequiredService<Chorus.Server.Chat.ChatFanout>().OverflowWaits, chatDelivery.GetProperty("overflowWaits").GetInt64());
    }

    [Fact]
    public async Task Every_admin_and_demo_answer_forbids_framing_and_inline_script()
    {
        await using var server = await WebServer.StartAsync();
        foreach (var (path, key) in new[] { ("/admin", (string?)null), ("/admin/admin.js", null), ("/admin/api/overview", null), ("/admin/api/overview", WebServer.AdminKey),
                     ("/admin/nothing-here", null), ("/demo", null), ("/demo/demo.js", null), ("/demo/token?userId=a", null), ("/demo/token", null) })
        {
            var (_, _, response) = await SendAsync(Request(server, HttpMethod.Get, path, key: key));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            string csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
            Assert.Equal("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'", csp);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }
        // The pages carry no inline script: every script is a file of this server.
        foreach (string page in new[] { "/admin", "/demo" })
        {
            string html = await s_http.GetStringAsync(new Uri(server.Url, page), Ct);
            foreach (var script in System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]*>(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline).Cast<System.Text.RegularExpressions.Match>())
            {
                Assert.Contains("src=\"/", script.Value);
                Assert.Equal("", script.Groups[1].Value.Trim());
            }
            Assert.DoesNotMatch("<[^>]*\\son[a-z]+\\s*=", html); // no inline event handler either
        }
    }

    [Fact]
    public async Task With_configured_apps_the_admin_lists_them_and_the_demo_is_gone()
    {
        await using var server = await WebServer.StartAsync(configuredApp: true);
        var (status, body, _) = await SendAsync(Request(server, HttpMethod.Get, "/admin/api/overview"));
        Assert.Equal(HttpStatusCode.OK, status);
        using var doc = JsonDocument.Parse(body);
        var app = Assert.Single(doc.RootElement.GetProperty("apps").EnumerateArray());
        Assert.Equal((WebServer.ConfiguredAppId, false), (app.GetProperty("appId").GetUInt32(), app.GetProperty("development").GetBoolean()));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(server, HttpMethod.Get, "/demo", key: null))).Status);
        // An action for the development app (not hosted here) is refused.
        var kick = await SendAsync(Request(server, HttpMethod.Post, "/admin/api/kick", json: """{"appId":1,"roomId":"r","userIds":["u"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, kick.Status);
        Assert.Contains("appId must be the AppId of a hosted app", kick.Body);
    }
}
