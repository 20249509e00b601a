using Microsoft.AspNetCore.Http;

namespace Chorus.Server.Web;

/// <summary>The security headers of every demo and admin answer (pages, scripts, JSON and refusals alike).</summary>
internal static class WebHeaders
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
}
