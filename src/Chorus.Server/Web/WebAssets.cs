using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Chorus.Server.Web;

/// <summary>
/// The static files of the demo and admin pages, embedded in the server assembly at build time (so they do not depend on
/// the working directory): the pages themselves (<c>Web/wwwroot</c>) and the TypeScript client's build
/// (<c>clients/js/dist</c>, under <c>demo/lib/</c>). Resource names are <c>chorus-web/PATH</c>.
/// </summary>
internal static class WebAssets
{
    private const string Prefix = "chorus-web/";

    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType)> s_files = Load();

    /// <summary>Whether the TypeScript client was built into the server (its entry point is embedded).</summary>
    public static bool HasClientLibrary => s_files.ContainsKey(ClientEntry);

    /// <summary>The path of the client's entry module among the assets.</summary>
    public const string ClientEntry = "demo/lib/index.js";

    /// <summary>Finds an asset by its path below the web root (e.g. <c>admin/admin.js</c>).</summary>
    public static bool TryGet(string path, out byte[] body, out string contentType)
    {
        if (s_files.TryGetValue(path, out var file))
        {
            (body, contentType) = file;
            return true;
        }
        body = [];
        contentType = "";
        return false;
    }

    /// <summary>Writes an asset as the answer (200), or a plain 404 when there is none.</summary>
    public static Task WriteAsync(HttpContext context, string path)
    {
        if (!TryGet(path, out var body, out var contentType))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            string path = name[Prefix.Length..].Replace('\\', '/');
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[path] = (copy.ToArray(), ContentTypeOf(path));
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".map" or ".json" => "application/json; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
