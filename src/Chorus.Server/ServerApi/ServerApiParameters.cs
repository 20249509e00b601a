using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Chorus.Server.ServerApi;

/// <summary>
/// The parameters of a server API request: the query string, merged with a JSON object body on POST.
/// Arrays are repeated query keys (<c>ToUserId[]=a&amp;ToUserId[]=b</c>) or JSON arrays.
/// </summary>
public sealed class ServerApiParameters
{
    /// <summary>Largest POST body read, in bytes.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private ServerApiParameters() { }

    /// <summary>Reads the parameters of a request. Returns null with an error message for a malformed body.</summary>
    public static async Task<(ServerApiParameters? Parameters, string? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var parameters = new ServerApiParameters();
        foreach (var (key, values) in request.Query)
        {
            var list = parameters.ListFor(key);
            foreach (var v in values) if (v is not null) list.Add(v);
        }
        if (HttpMethods.IsPost(request.Method) && (request.ContentLength ?? 1) > 0)
        {
            if (request.ContentLength > MaxBodyBytes) return (null, $"the body is larger than {MaxBodyBytes} bytes");
            using var ms = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (ms.Length + read > MaxBodyBytes) return (null, $"the body is larger than {MaxBodyBytes} bytes");
                ms.Write(buffer, 0, read);
            }
            if (ms.Length > 0)
            {
                string? error = parameters.AddJson(ms.ToArray());
                if (error is not null) return (null, error);
            }
        }
        return (parameters, null);
    }

    private string? AddJson(byte[] body)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException) { return "the body is not valid JSON"; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "the body must be a JSON object";
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                var list = ListFor(property.Name);
                if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in property.Value.EnumerateArray()) list.Add(Scalar(item));
                }
                else list.Add(Scalar(property.Value));
            }
        }
        return null;
    }

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Null => "",
        _ => e.GetRawText(),
    };

    private List<string> ListFor(string key)
    {
        // "ToUserId[]" and "ToUserId" name the same parameter.
        string name = key.EndsWith("[]", StringComparison.Ordinal) ? key[..^2] : key;
        if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
        return list;
    }

    /// <summary>The first value of a parameter, or null when absent.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var list) && list.Count > 0 ? list[0] : null;

    /// <summary>Every value of an array parameter (empty when absent).</summary>
    public IReadOnlyList<string> GetArray(string name) => _values.TryGetValue(name, out var list) ? list : [];
}
