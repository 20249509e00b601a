using System.CommandLine;
using System.Text;
using System.Text.Json;
using Chorus.Protocol;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus call ACTION key=value ... --url URL --app-id ID --secret S</c>: signs and sends a server API request
/// (GET, parameters in the query; repeat a key for arrays, e.g. <c>ToUserId[]=a ToUserId[]=b</c>) and prints the
/// JSON response. Exit codes: 0 when the response Code is 0, 1 for another Code or an HTTP failure, 2 bad arguments.
/// </summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var action = new Argument<string>("ACTION") { Description = "Server API action, e.g. SendCustomCommand." };
        var parameters = new Argument<string[]>("key=value") { Description = "Business parameters.", Arity = ArgumentArity.ZeroOrMore };
        var url = new Option<string>("--url") { Description = "Server base address, e.g. http://127.0.0.1:8080.", Required = true };
        var appId = new Option<uint>("--app-id") { Description = "AppId.", Required = true }.InRange(1, uint.MaxValue);
        var secret = new Option<string>("--secret") { Description = "The app's ServerSecret.", Required = true };
        var command = new Command("call", "Sign and send a server API request; print the JSON response.") { action, parameters, url, appId, secret };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine("chorus call: --url must be an absolute http(s) address such as http://127.0.0.1:8080");
                return 2;
            }
            var query = new StringBuilder("Action=").Append(Uri.EscapeDataString(parse.GetValue(action)!));
            foreach (string kv in parse.GetValue(parameters) ?? [])
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"chorus call: parameters are key=value (got '{kv}')");
                    return 2;
                }
                query.Append('&').Append(EscapeKey(kv[..eq])).Append('=').Append(Uri.EscapeDataString(kv[(eq + 1)..]));
            }
            query.Append('&').Append(ServerApiSignature.BuildCommonQuery(parse.GetValue(appId), parse.GetValue(secret)!, DateTimeOffset.UtcNow));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var target = new UriBuilder(baseUrl) { Query = query.ToString() }.Uri;
            string body;
            try
            {
                using var response = await http.GetAsync(target, cancellationToken);
                body = await response.Content.ReadAsStringAsync(cancellationToken);
                Console.Out.WriteLine(body);
                if (!response.IsSuccessStatusCode) return 1;
            }
            catch (HttpRequestException ex)
            {
                Console.Error.WriteLine($"chorus call: {ex.Message}");
                return 1;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"chorus call: no answer within {http.Timeout.TotalSeconds:0} s");
                return 1;
            }
            try
            {
                using var doc = JsonDocument.Parse(body);
                return doc.RootElement.TryGetProperty("Code", out var code) && code.GetInt64() == 0 ? 0 : 1;
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                return 1;
            }
        });
        return command;
    }

    // Keep "[]" readable in the query; escape everything else.
    private static string EscapeKey(string key) => key.EndsWith("[]", StringComparison.Ordinal)
        ? Uri.EscapeDataString(key[..^2]) + "[]"
        : Uri.EscapeDataString(key);
}
