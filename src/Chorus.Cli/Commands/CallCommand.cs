using System.CommandLine;
using System.Globalization;
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
                return CommandLineErrors.Refuse("call", "--url must be an absolute http(s) address such as http://127.0.0.1:8080");
            string secretText = parse.GetValue(secret)!;
            if (CommandLineErrors.SecretProblem(secretText) is { } badSecret) return CommandLineErrors.Refuse("call", badSecret);
            var query = new StringBuilder("Action=").Append(Uri.EscapeDataString(parse.GetValue(action)!));
            string? nonce = null;
            long? timestamp = null;
            foreach (string kv in parse.GetValue(parameters) ?? [])
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0) return CommandLineErrors.Refuse("call", $"parameters are key=value (got '{CommandLineErrors.Shorten(kv)}')");
                string key = kv[..eq], value = kv[(eq + 1)..];
                // The common parameters are the CLI's to send. A given SignatureNonce or Timestamp is signed with (to
                // reproduce a request, e.g. a replay); the others would only make the signature or the action wrong.
                if (s_reserved.FirstOrDefault(r => string.Equals(r, key, StringComparison.OrdinalIgnoreCase)) is { } reserved)
                {
                    if (reserved == "SignatureNonce" && nonce is null && value.Length > 0) { nonce = value; continue; }
                    if (reserved == "Timestamp" && timestamp is null && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ts) && ts is >= 0 and <= 253402300799) { timestamp = ts; continue; }
                    return CommandLineErrors.Refuse("call", reserved is "SignatureNonce" or "Timestamp"
                        ? $"{reserved} may be given once, {(reserved == "Timestamp" ? "as Unix seconds" : "not empty")} (got '{CommandLineErrors.Shorten(value)}')"
                        : $"{reserved} is set by chorus call, not as a parameter (ACTION is the Action; --app-id the AppId; the signature is computed)");
                }
                query.Append('&').Append(EscapeKey(key)).Append('=').Append(Uri.EscapeDataString(value));
            }
            var signedAt = timestamp is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : DateTimeOffset.UtcNow;
            query.Append('&').Append(ServerApiSignature.BuildCommonQuery(parse.GetValue(appId), secretText, signedAt, nonce));

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
                Console.Error.WriteLine(CommandLineErrors.Line("call", ex.Message, seeHelp: false));
                return 1;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine(CommandLineErrors.Line("call", $"no answer within {http.Timeout.TotalSeconds:0} s", seeHelp: false));
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

    private static readonly string[] s_reserved = ["Action", "AppId", "SignatureNonce", "Timestamp", "Signature", "SignatureVersion"];


    // Keep "[]" readable in the query; escape everything else.
    private static string EscapeKey(string key) => key.EndsWith("[]", StringComparison.Ordinal)
        ? Uri.EscapeDataString(key[..^2]) + "[]"
        : Uri.EscapeDataString(key);
}
