using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Web;

/// <summary>The security headers of every demo and admin answer (pages, scripts, JSON and refusals alike).</summary>
internal static partial class WebHeaders
{
    /// <summary>
    /// The Content-Security-Policy: scripts only from this server (no inline script, no eval), no plugins, no
    /// <c>&lt;base&gt;</c>, and no framing by any page (clickjacking). Connections (<c>fetch</c>, the WebSocket) only to
    /// this server.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>Adds the headers (before anything is written).</summary>
    public static void Apply(HttpResponse response, bool noStore)
    {
        var h = response.Headers;
        h.ContentSecurityPolicy = ContentSecurityPolicy;
        h.XFrameOptions = "DENY";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h["Cross-Origin-Opener-Policy"] = "same-origin";
        h["Cross-Origin-Resource-Policy"] = "same-origin";
        h.CacheControl = noStore ? "no-store" : "no-cache";
    }

    /// <summary>
    /// Runs <paramref name="handle"/>; an unexpected exception becomes a 500 with these headers and a fixed JSON body (no
    /// stack trace, whatever the environment), logged as event 6105. A request the client aborted is left alone.
    /// </summary>
    public static async Task GuardAsync(HttpContext context, bool noStore, ILogger logger, Func<Task> handle)
    {
        try
        {
            await handle();
        }
        catch (Exception e) when (!(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            Log.Failed(logger, context.Request.Path.Value ?? "", e);
            if (context.Response.HasStarted) throw;
            context.Response.Clear();
            Apply(context.Response, noStore);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(InternalErrorBody, context.RequestAborted);
        }
    }

    /// <summary>The body of a 500 from the demo or admin surface.</summary>
    public const string InternalErrorBody = """{"error":"internal error"}""";

    private static partial class Log
    {
        [LoggerMessage(6105, LogLevel.Error, "Demo or admin request {Path} failed")]
        public static partial void Failed(ILogger logger, string path, Exception exception);
    }
}
