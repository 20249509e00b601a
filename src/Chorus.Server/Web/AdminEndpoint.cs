using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Chat;
using Chorus.Server.Gateway;
using Chorus.Server.Hosting;
using Chorus.Server.Rooms;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Web;

/// <summary>
/// The operators' admin page at <c>/admin</c> and its JSON API at <c>/admin/api/...</c>, served only when
/// <c>Chorus:AdminKey</c> is set (otherwise every <c>/admin</c> path answers 404, like any unknown path).
/// Every API request carries the key as <c>Authorization: Bearer KEY</c> (compared in constant time); a missing or wrong
/// key gets one answer (401, the same body whatever failed), and refused requests (wrong or missing key, cross-origin) are
/// limited per source address: beyond the limit a wrong key gets 429 and is no longer logged one by one, while the right
/// key always gets in (so a flood of guesses from a shared proxy address cannot lock the operators out). The
/// page is static: the operator types the key, the page keeps it in sessionStorage and sends it as a header, so the
/// browser holds no ambient credential a cross-site page could use (CSRF); state-changing calls are POSTs that must also
/// carry <c>Content-Type: application/json</c>, and any request whose <c>Origin</c> is not this server is refused.
/// Actions run through the same <see cref="RoomSignaling"/> methods as the server API.
/// </summary>
public sealed partial class AdminEndpoint
{
    /// <summary>
    /// Refused admin requests (wrong or missing key, cross-origin) counted per source address per minute (IPv6: per /64);
    /// beyond, a wrong key gets 429 and refusals from that address are not logged one by one.
    /// </summary>
    public const int FailedAttemptsPerAddressPerMinute = 10;

    /// <summary>Most rooms listed in one overview (the busiest first).</summary>
    public const int MaxRoomsListed = 200;

    /// <summary>Most users listed per room in one overview.</summary>
    public const int MaxUsersListed = 100;

    /// <summary>The largest admin API request body (bytes), enforced on the stream (chunked bodies included).</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>How long one overview answer is reused (per node), so that open pages cost the node little.</summary>
    public static readonly TimeSpan OverviewCacheTime = TimeSpan.FromSeconds(1);

    /// <summary>The body of every refusal for a missing or wrong key.</summary>
    public const string UnauthorizedBody = """{"error":"unauthorized"}""";

    private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AdminOptions _options;
    private readonly byte[]? _keyHash;
    private readonly AppRegistry _apps;
    private readonly IRoomLifetimeManager _rooms;
    private readonly RoomSignaling _signaling;
    private readonly SessionRegistry _sessions;
    private readonly GatewayCounters _counters;
    private readonly ChatFanout _chatDelivery;
    private readonly TimeProvider _time;
    private readonly ILogger<AdminEndpoint> _logger;
    private readonly KeyedLimiter<IPAddress> _failures = new(FailedAttemptsPerAddressPerMinute, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    private readonly long _started;
    private readonly int _nodeId;
    private readonly SemaphoreSlim _overviewGate = new(1, 1);
    private string? _overview;
    private long _overviewAt;

    /// <summary>Creates the endpoint.</summary>
    public AdminEndpoint(IOptions<AdminOptions> options, AppRegistry apps, IRoomLifetimeManager rooms, RoomSignaling signaling, SessionRegistry sessions, GatewayCounters counters, ChatFanout chatDelivery, TimeProvider time, NodeIdentity node, ILogger<AdminEndpoint> logger)
    {
        _options = options.Value;
        _keyHash = _options.Enabled ? SHA256.HashData(Encoding.UTF8.GetBytes(_options.AdminKey!)) : null;
        _apps = apps;
        _rooms = rooms;
        _signaling = signaling;
        _sessions = sessions;
        _counters = counters;
        _chatDelivery = chatDelivery;
        _time = time;
        _logger = logger;
        _started = time.GetTimestamp();
        _nodeId = node.Id;
    }

    /// <summary>Whether the admin surface exists (an admin key is configured).</summary>
    public bool Enabled => _keyHash is not null;

    /// <summary>Handles a request to <c>/admin</c> or below; <paramref name="rest"/> is the path after <c>/admin/</c>.</summary>
    public async Task HandleAsync(HttpContext context, string? rest)
    {
        if (!Enabled)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound; // no admin surface at all
            return;
        }
        WebHeaders.Apply(context.Response, noStore: true);
        await WebHeaders.GuardAsync(context, noStore: true, _logger, () => HandleEnabledAsync(context, rest ?? ""));
    }

    private async Task HandleEnabledAsync(HttpContext context, string rest)
    {
        if (rest.StartsWith("api/", StringComparison.Ordinal))
        {
            await ApiAsync(context, rest["api/".Length..]);
            return;
        }
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return;
        }
        // The page and its script and style hold no data: everything comes from the API, with the key.
        await WebAssets.WriteAsync(context, rest switch
        {
            "" or "index.html" => "admin/index.html",
            "admin.js" or "admin.css" => "admin/" + rest,
            _ => "admin/missing",
        });
    }

    private async Task ApiAsync(HttpContext context, string action)
    {
        var request = context.Request;
        // Chunked bodies have no Content-Length: the server itself stops reading soon past the limit (Kestrel counts the
        // chunk framing too, hence the slack); ReadBodyAsync refuses anything over MaxBodyBytes of body exactly.
        var bodySize = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (bodySize is { IsReadOnly: false }) bodySize.MaxRequestBodySize = 2 * MaxBodyBytes;
        string remote = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        var address = TokenValidator.AddressKey(context.Connection.RemoteIpAddress?.ToString());
        var now = _time.GetUtcNow();
        // 1. Cross-site requests: a browser names the page's origin on every POST and cross-origin fetch. They count as
        //    refusals of their address, and a throttled address's are not logged one by one.
        if (!SameOrigin(request))
        {
            if (Refused(address, now)) Log.CrossSiteRefused(_logger, remote, action.Length > 40 ? action[..40] : action);
            await WriteAsync(context, StatusCodes.Status403Forbidden, new JsonObject { ["error"] = "cross-origin requests are refused" });
            return;
        }
        // 2. The key, compared in constant time. The right key always gets in; wrong keys are limited per source address
        //    (behind a proxy every visitor shares its address, so a throttled address must not lock the operators out).
        if (!KeyMatches(request.Headers.Authorization.ToString()))
        {
            if (_failures.IsFull(address, now))
            {
                context.Response.Headers.RetryAfter = "60";
                await WriteAsync(context, StatusCodes.Status429TooManyRequests, new JsonObject { ["error"] = "too many failed admin requests from this address; retry later" });
                return;
            }
            if (Refused(address, now)) Log.Unauthorized(_logger, remote);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(UnauthorizedBody, context.RequestAborted);
            return;
        }

        if (action == "overview")
        {
            if (!HttpMethods.IsGet(request.Method))
            {
                context.Response.Headers.Allow = "GET";
                await WriteAsync(context, StatusCodes.Status405MethodNotAllowed, new JsonObject { ["error"] = "use GET" });
                return;
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(await CachedOverviewAsync(), context.RequestAborted);
            return;
        }
        if (action is not ("custom-command" or "kick" or "close-room"))
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, new JsonObject { ["error"] = "no such admin action" });
            return;
        }
        // 3. State changes: POST with a JSON body only (an HTML form can send neither the header nor this type).
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await WriteAsync(context, StatusCodes.Status405MethodNotAllowed, new JsonObject { ["error"] = "use POST" });
            return;
        }
        if (!IsJson(request.ContentType))
        {
            await WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, new JsonObject { ["error"] = "Content-Type must be application/json" });
            return;
        }
        var bytes = await ReadBodyAsync(context);
        if (bytes is null)
        {
            await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, new JsonObject { ["error"] = $"the body is larger than {MaxBodyBytes} bytes" });
            return;
        }
        JsonObject? body;
        try
        {
            // Duplicate keys are refused (which one would count?), and so is deep nesting.
            body = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false }) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }
        if (body is null)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, new JsonObject { ["error"] = "the body must be a JSON object (no duplicate keys, at most 8 levels deep, at most 16 KiB)" });
            return;
        }
        var (status, answer) = action switch
        {
            "custom-command" => await SendCustomCommandAsync(body),
            "kick" => await KickAsync(body),
            _ => await CloseRoomAsync(body),
        };
        Volatile.Write(ref _overviewAt, 0); // the next overview shows what the action did (not one built while it ran)
        await WriteAsync(context, status, answer);
    }

    /// <summary>
    /// Counts a refusal from <paramref name="address"/>; true when it should be logged: while the address is under the
    /// limit, and once more for the refusal that fills it (which says that further ones are not logged).
    /// </summary>
    private bool Refused(IPAddress address, DateTimeOffset now)
    {
        if (!_failures.TryAcquire(address, now)) return false;
        if (_failures.IsFull(address, now)) Log.Throttled(_logger, address.ToString(), FailedAttemptsPerAddressPerMinute);
        return true;
    }

    /// <summary>The body, or null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength is > MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return buffer.ToArray();
    }

    // ---- what the page shows ----------------------------------------------------------------

    /// <summary>The overview, computed at most once per <see cref="OverviewCacheTime"/> however many pages ask.</summary>
    private async Task<string> CachedOverviewAsync()
    {
        string? cached = Volatile.Read(ref _overview);
        long at = Volatile.Read(ref _overviewAt);
        if (cached is not null && at != 0 && _time.GetElapsedTime(at) < OverviewCacheTime) return cached;
        await _overviewGate.WaitAsync();
        try
        {
            at = Volatile.Read(ref _overviewAt);
            if (_overview is not null && at != 0 && _time.GetElapsedTime(at) < OverviewCacheTime) return _overview;
            string fresh = (await OverviewAsync()).ToJsonString(s_json);
            Volatile.Write(ref _overview, fresh);
            Volatile.Write(ref _overviewAt, _time.GetTimestamp());
            return fresh;
        }
        finally
        {
            _overviewGate.Release();
        }
    }

    private async Task<JsonObject> OverviewAsync()
    {
        var (received, sent, receivedPerSecond, sentPerSecond) = _counters.Sample();
        // The rooms with members on this node; each listed with its members on every node.
        var rooms = _rooms.LocalRooms.Where(r => r.Count > 0).ToList();
        var connectionsByApp = _sessions.All.GroupBy(s => s.AppId).ToDictionary(g => g.Key, g => g.Count());
        var apps = new JsonArray();
        foreach (var app in _apps.Apps.OrderBy(a => a.AppId))
        {
            var own = rooms.Where(r => r.AppId == app.AppId).ToList();
            apps.Add(new JsonObject
            {
                ["appId"] = app.AppId,
                ["development"] = _apps.UsesDevApp,
                ["rooms"] = own.Count,
                ["roomUsers"] = own.Sum(r => r.Count),
                ["connections"] = connectionsByApp.GetValueOrDefault(app.AppId),
            });
        }
        var list = new JsonArray();
        foreach (var room in rooms.OrderByDescending(r => r.Count).ThenBy(r => r.AppId).ThenBy(r => r.RoomId, StringComparer.Ordinal).Take(MaxRoomsListed))
        {
            var members = await _rooms.ListAsync(room.AppId, room.RoomId);
            var users = new JsonArray();
            foreach (var m in members.OrderBy(m => m.LoginTimeMs).Take(MaxUsersListed))
                users.Add(new JsonObject { ["userId"] = m.UserId, ["userName"] = m.UserName, ["loginTime"] = m.LoginTimeMs });
            list.Add(new JsonObject { ["appId"] = room.AppId, ["roomId"] = room.RoomId, ["userCount"] = members.Count, ["users"] = users });
        }
        return new JsonObject
        {
            ["nodeId"] = _nodeId,
            ["uptimeSeconds"] = (long)_time.GetElapsedTime(_started).TotalSeconds,
            ["connections"] = _sessions.Count,
            ["roomConnections"] = _signaling.ConnectionCount,
            ["frames"] = new JsonObject
            {
                ["received"] = received,
                ["sent"] = sent,
                ["receivedPerSecond"] = Math.Round(receivedPerSecond, 1),
                ["sentPerSecond"] = Math.Round(sentPerSecond, 1),
                ["windowSeconds"] = GatewayCounters.RateWindow.TotalSeconds,
            },
            // Chat's delivery stage: how often a producer waited because it was full (it drops nothing; docs/protocol.md).
            ["chatDelivery"] = new JsonObject { ["capacity"] = ChatFanout.Capacity, ["overflowWaits"] = _chatDelivery.OverflowWaits },
            ["apps"] = apps,
            ["roomCount"] = rooms.Count,
            ["rooms"] = list,
        };
    }

    // ---- actions (the server API's code paths) ----------------------------------------------

    private async Task<(int, JsonObject)> SendCustomCommandAsync(JsonObject body)
    {
        if (!RequireRoom(body, out uint appId, out string roomId, out var refusal)) return refusal;
        string? from = Text(body, "fromUserId");
        if (RoomLimits.ValidateUserId(from) is not 0 and int badFrom) return Bad("fromUserId" + RoomLimits.IdErrorText(badFrom)["UserId".Length..]);
        if (!Strings(body, "toUserIds", out var targets)) return Bad("toUserIds must be an array of user ids");
        if (RoomLimits.ValidateTargets(targets) != 0) return Bad($"toUserIds holds more than {RoomLimits.MaxCustomCommandTargets} users or an invalid user id");
        string? content = Text(body, "content");
        if (RoomLimits.ValidateContent(content) != 0) return Bad($"content must be 1-{RoomLimits.MaxMessageBytes} bytes");
        var failed = await _signaling.ServerSendCustomCommandAsync(appId, roomId, from!, targets, content!);
        Log.Action(_logger, "custom-command", appId, roomId);
        var list = new JsonArray();
        foreach (var f in failed) list.Add(new JsonObject { ["userId"] = f.UserId, ["code"] = f.Code });
        return (StatusCodes.Status200OK, new JsonObject { ["ok"] = true, ["failedUsers"] = list });
    }

    private async Task<(int, JsonObject)> KickAsync(JsonObject body)
    {
        if (!RequireRoom(body, out uint appId, out string roomId, out var refusal)) return refusal;
        if (!Strings(body, "userIds", out var userIds) || userIds.Count is 0 or > RoomLimits.MaxKickUsers) return Bad($"userIds must be an array of 1-{RoomLimits.MaxKickUsers} user ids");
        foreach (string u in userIds)
            if (RoomLimits.ValidateUserId(u) is not 0 and int bad) return Bad(RoomLimits.IdErrorText(bad));
        if (!Reason(body, out string? reason)) return Bad($"reason is longer than {RoomLimits.MaxKickReasonBytes} bytes");
        int kicked = await _signaling.KickAsync(appId, roomId, userIds, reason);
        Log.Action(_logger, "kick", appId, roomId);
        return (StatusCodes.Status200OK, new JsonObject { ["ok"] = true, ["kicked"] = kicked });
    }

    private async Task<(int, JsonObject)> CloseRoomAsync(JsonObject body)
    {
        if (!RequireRoom(body, out uint appId, out string roomId, out var refusal)) return refusal;
        if (!Reason(body, out string? reason)) return Bad($"reason is longer than {RoomLimits.MaxKickReasonBytes} bytes");
        bool closed = await _signaling.CloseRoomAsync(appId, roomId, reason);
        if (!closed) return (StatusCodes.Status404NotFound, new JsonObject { ["error"] = "room does not exist" });
        Log.Action(_logger, "close-room", appId, roomId);
        return (StatusCodes.Status200OK, new JsonObject { ["ok"] = true });
    }

    private bool RequireRoom(JsonObject body, out uint appId, out string roomId, out (int, JsonObject) refusal)
    {
        appId = 0;
        roomId = Text(body, "roomId") ?? "";
        refusal = default;
        if (body["appId"] is not JsonValue v || !v.TryGetValue(out long id) || id is <= 0 or > uint.MaxValue || !_apps.TryGet((uint)id, out _))
        {
            refusal = Bad("appId must be the AppId of a hosted app");
            return false;
        }
        appId = (uint)id;
        if (RoomLimits.ValidateRoomId(roomId) is not 0 and int bad)
        {
            refusal = Bad(RoomLimits.IdErrorText(bad));
            return false;
        }
        return true;
    }

    private static bool Reason(JsonObject body, out string? reason)
    {
        reason = Text(body, "reason");
        if (string.IsNullOrEmpty(reason)) reason = null;
        return reason is null || Encoding.UTF8.GetByteCount(reason) <= RoomLimits.MaxKickReasonBytes;
    }

    private static string? Text(JsonObject body, string name) =>
        body[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static bool Strings(JsonObject body, string name, out List<string> values)
    {
        values = [];
        if (body[name] is null) return true;
        if (body[name] is not JsonArray array) return false;
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue(out string? s)) return false;
            values.Add(s);
        }
        return true;
    }

    private static (int, JsonObject) Bad(string message) => (StatusCodes.Status400BadRequest, new JsonObject { ["error"] = message });

    // ---- checks ---------------------------------------------------------------------------------

    private bool KeyMatches(string authorization)
    {
        const string scheme = "Bearer ";
        string given = authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorization[scheme.Length..].Trim() : "";
        // Hashes of equal length, compared in constant time: neither the key's length nor a matching prefix shows.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _keyHash) && given.Length > 0;
    }

    /// <summary>
    /// True unless the browser says the request comes from another site: an <c>Origin</c> header (sent on every POST and
    /// cross-origin fetch) must name this server's own host and port (the scheme is not compared, so that a TLS-terminating
    /// proxy in front does not break the page), and <c>Sec-Fetch-Site</c>, when sent, must not be
    /// cross-site. Requests without either (curl, scripts) pass to the key check.
    /// </summary>
    internal static bool SameOrigin(HttpRequest request)
    {
        string? fetchSite = request.Headers["Sec-Fetch-Site"];
        if (fetchSite is "cross-site" or "same-site") return false;
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin)) return true;
        // "null" (a sandboxed or file page) and anything that is not an absolute URL are refused too.
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")) return false;
        string authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        string host = request.Host.Value ?? "";
        if (request.Host.Port is { } port && port == (uri.Scheme == "https" ? 443 : 80)) host = request.Host.Host;
        return string.Equals(authority, host, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);

    private static Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString(s_json), context.RequestAborted);
    }

    private static partial class Log
    {
        // Never the key, nor what was sent as one.
        [LoggerMessage(6101, LogLevel.Warning, "Admin request from {Remote} refused: missing or wrong admin key")]
        public static partial void Unauthorized(ILogger logger, string remote);

        [LoggerMessage(6102, LogLevel.Warning, "Admin request {Action} from {Remote} refused: cross-origin")]
        public static partial void CrossSiteRefused(ILogger logger, string remote, string action);

        [LoggerMessage(6103, LogLevel.Information, "Admin {Action} in app {AppId} room {RoomId}")]
        public static partial void Action(ILogger logger, string action, uint appId, string roomId);

        [LoggerMessage(6104, LogLevel.Warning, "Admin requests from {Remote} throttled: {Limit} refused in a minute; its further refusals are not logged until the window passes (the right key still gets in)")]
        public static partial void Throttled(ILogger logger, string remote, int limit);
    }
}
