using System.Text.Json.Nodes;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Web;

/// <summary>
/// The demo app at <c>/demo</c> (a room panel and a chat panel on the TypeScript client), served only while the public
/// development app is in use (<see cref="AppRegistry.UsesDevApp"/>): with configured apps every <c>/demo</c> path answers
/// 404, like any unknown path. Its tokens come from <c>GET /demo/token?userId=U</c>, a development-only convenience that
/// signs a token for anyone who asks, with the development app's public secret.
/// </summary>
public sealed class DemoEndpoint
{
    /// <summary>The lifetime of the demo's tokens.</summary>
    public const int TokenLifetimeSeconds = 3600;

    private readonly AppRegistry _apps;
    private readonly ILogger<DemoEndpoint> _logger;

    /// <summary>Creates the endpoint.</summary>
    public DemoEndpoint(AppRegistry apps, ILogger<DemoEndpoint> logger)
    {
        _apps = apps;
        _logger = logger;
    }

    /// <summary>Whether the demo is served (only for the development app).</summary>
    public bool Enabled => _apps.UsesDevApp;

    /// <summary>Handles a request to <c>/demo</c> or below; <paramref name="rest"/> is the path after <c>/demo/</c>.</summary>
    public Task HandleAsync(HttpContext context, string? rest)
    {
        if (!Enabled)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound; // no demo surface at all
            return Task.CompletedTask;
        }
        WebHeaders.Apply(context.Response, noStore: false);
        return WebHeaders.GuardAsync(context, noStore: false, _logger, () => HandleEnabledAsync(context, rest ?? ""));
    }

    private Task HandleEnabledAsync(HttpContext context, string rest)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }
        if (rest == "token") return TokenAsync(context);
        if (rest is "" or "index.html")
            return WebAssets.WriteAsync(context, WebAssets.HasClientLibrary ? "demo/index.html" : "demo/not-built.html");
        if (rest.Contains("..", StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return WebAssets.WriteAsync(context, "demo/" + rest);
    }

    private Task TokenAsync(HttpContext context)
    {
        string? userId = context.Request.Query["userId"];
        if (RoomLimits.ValidateUserId(userId) is not 0 and int bad)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = RoomLimits.IdErrorText(bad) }, context.RequestAborted);
        }
        var app = ChorusServerOptions.DevApp;
        string token = Token04.Generate(app.AppId, userId!, app.ServerSecret, TokenLifetimeSeconds);
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["appId"] = app.AppId,
            ["userId"] = userId,
            ["token"] = token,
            ["expiresInSeconds"] = TokenLifetimeSeconds,
            ["note"] = "development-only: /demo/token exists only while the public development app is in use",
        }, context.RequestAborted);
    }
}
