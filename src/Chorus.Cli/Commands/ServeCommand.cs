using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Chorus.Bus.Redis;
using Chorus.Server.Auth;
using Chorus.Server.Core;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Chorus.Storage.Postgres;
using Chorus.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus serve [--port N] [--host H] [--data DIR] [--app APPID:SERVERSECRET]... [--postgres CONNSTR] [--redis CONFIG] [--allow-dev-app-on-network] [--Chorus:Key=Value]...</c>.
/// Every argument and setting is checked before the server starts: a problem prints one line per problem on stderr
/// and exits with 2.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The flag that lets the public development app listen beyond loopback.</summary>
    public const string AllowDevAppOnNetwork = "--allow-dev-app-on-network";

    // Configuration sections that --Key=Value arguments may set; anything else is an unknown option.
    private static readonly string[] s_settingSections = [ChorusServerOptions.SectionName, "Logging"];

    // Read from the Chorus section by this command rather than by the server options.
    private static readonly Dictionary<string, Type> s_hostSettings = new() { ["Port"] = typeof(int), ["Host"] = typeof(string) };

    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "TCP port to listen on (default 8080; 0 picks a free port). Also: Chorus__Port, appsettings.json." }.InRange(0, 65535);
        var host = new Option<string?>("--host") { Description = "IP address to bind, or localhost (default 127.0.0.1; 0.0.0.0 or :: for every interface)." };
        var data = new Option<string?>("--data") { Description = "Data directory (default ./data)." };
        var apps = new Option<string[]>("--app") { Description = "An app as APPID:SERVERSECRET (repeatable). Without any, a development app is used.", AllowMultipleArgumentsPerToken = false };
        var postgres = new Option<string?>("--postgres") { Description = "An Npgsql connection string (Host=...;Database=...;Username=...;Password=...): keep chat and the server API's nonces in this PostgreSQL database, shared by every node given it, instead of SQLite files in the data directory. Also: Chorus:Postgres." };
        var redis = new Option<string?>("--redis") { Description = "Join a cluster: a StackExchange.Redis configuration string such as 127.0.0.1:6379 (room presence and fan-out shared by every node given the same one). Needs --postgres. Also: Chorus:Redis." };
        var allowDev = new Option<bool>(AllowDevAppOnNetwork) { Description = "Let the public development app (no --app configured) listen on an address other than loopback. Anyone who can reach the port can then use it." };
        var command = new Command("serve", "Start the server. Settings of the Chorus section may also be given as --Chorus:Key=Value (and logging as --Logging:...).")
        {
            port, host, data, apps, postgres, redis, allowDev,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Dictionary<string, string?>();
            var appList = new List<(uint AppId, string Secret)>();
            foreach (var (entry, i) in (parse.GetValue(apps) ?? []).Select((e, i) => (e, i)))
            {
                int colon = entry.IndexOf(':');
                if (colon <= 0 || !uint.TryParse(entry[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out uint appId))
                    return Refuse($"--app expects APPID:SERVERSECRET (got an app without a numeric AppId at position {i + 1})");
                appList.Add((appId, entry[(colon + 1)..]));
            }
            if (parse.GetValue(data) is { } dir) settings["Chorus:DataDirectory"] = dir;
            if (parse.GetValue(postgres) is { } pg) settings["Chorus:Postgres"] = pg;
            string? postgresConnection = null;
            if (parse.GetValue(redis) is { } redisConfiguration) settings["Chorus:Redis"] = redisConfiguration;
            if (SettingArguments(parse.UnmatchedTokens) is not { } configArgs) return 2;

            var errors = new List<string>();
            string bindHost = "127.0.0.1";
            bool loopback = true;
            bool started = false;
            WebApplication created;
            try
            {
                created = ChorusServerApp.Create(configArgs, builder =>
                {
                    // --app entries come after the apps configured elsewhere (appsettings.json, Chorus__Apps__N__*,
                    // --Chorus:Apps:N:*): numbered on from the highest entry there that has an AppId. An entry without
                    // one (--Chorus:Apps:0:CallbackUrl=...) adds its settings to the --app entry given that number.
                    int next = builder.Configuration.GetSection("Chorus:Apps").GetChildren()
                        .Where(c => c["AppId"] is not null)
                        .Select(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1).DefaultIfEmpty(-1).Max() + 1;
                    for (int i = 0; i < appList.Count; i++)
                    {
                        settings[$"Chorus:Apps:{next + i}:AppId"] = appList[i].AppId.ToString(CultureInfo.InvariantCulture);
                        settings[$"Chorus:Apps:{next + i}:ServerSecret"] = appList[i].Secret;
                    }
                    builder.Configuration.AddInMemoryCollection(settings);
                    // The chat and nonce stores: a PostgreSQL database when Chorus:Postgres (--postgres) is set, else SQLite
                    // files in the data directory.
                    postgresConnection = builder.Configuration["Chorus:Postgres"];
                    if (postgresConnection is null) builder.Services.AddSqliteStore();
                    else if (string.IsNullOrWhiteSpace(postgresConnection)) errors.Add("--postgres (Chorus:Postgres) needs an Npgsql connection string, such as Host=127.0.0.1;Database=chorus;Username=chorus");
                    else builder.Services.AddPostgresStore(postgresConnection);
                    // Logs go to stderr so that stdout carries only the lines scripts read (url, appId...).
                    builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
                    // A failed start is reported below in one line; the host's own report of it is a stack trace.
                    builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Information && (started || level < LogLevel.Error));
                    errors.AddRange(ChorusSettingsCheck.Check(builder.Configuration, s_hostSettings));
                    errors.AddRange(LogLevelErrors(builder.Configuration));
                    // Kestrel endpoints from configuration would replace --host/--port, and so the checks below.
                    if (builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
                        errors.Add("Kestrel:Endpoints settings are not supported; give the address with --host and --port (or Chorus:Host, Chorus:Port)");
                    if (errors.Count > 0) return;
                    if (builder.Configuration["Chorus:Redis"] is { Length: > 0 } redisConfiguration)
                    {
                        // A cluster keeps chat in one shared store: on each node's own SQLite file chat would split.
                        if (string.IsNullOrEmpty(builder.Configuration["Chorus:Postgres"]))
                        {
                            errors.Add("--redis (Chorus:Redis) needs --postgres: on the embedded store each node keeps its own chat and chat would split across nodes: give --postgres CONNSTR too");
                            return;
                        }
                        try
                        {
                            builder.Services.AddRedisBus(redisConfiguration);
                        }
                        catch (ArgumentException ex)
                        {
                            errors.Add($"--redis (Chorus:Redis) is not a Redis configuration string: {ex.Message}");
                            return;
                        }
                    }
                    int? configuredPort = builder.Configuration.GetValue<int?>("Chorus:Port");
                    if (configuredPort is < 0 or > 65535)
                    {
                        errors.Add($"Chorus:Port must be from 0 to 65535 (got {configuredPort})");
                        return;
                    }
                    int p = parse.GetValue(port) ?? configuredPort ?? 8080;
                    string h = parse.GetValue(host) ?? builder.Configuration["Chorus:Host"] ?? "127.0.0.1";
                    if (!TryParseHost(h, out var address))
                    {
                        errors.Add($"--host must be an IP address (such as 127.0.0.1, 0.0.0.0 or ::) or localhost (got '{CommandLineErrors.Shorten(h, 60)}')");
                        return;
                    }
                    if (address is null && p == 0)
                    {
                        errors.Add("--port 0 (a free port) needs an IP address as --host, such as 127.0.0.1 or ::1, not localhost");
                        return;
                    }
                    loopback = address is null || IPAddress.IsLoopback(address);
                    bindHost = address is null ? "localhost" : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
                    builder.WebHost.UseUrls($"http://{bindHost}:{p}");
                });
            }
            catch (InvalidDataException ex) when (ex.InnerException is FormatException)
            {
                return Refuse(ConfigurationFileError(ex));
            }
            catch (Exception) when (errors.Count > 0)
            {
                // A setting found bad above (a log level) can also make the build throw: report what was found.
                foreach (var e in errors) Refuse(e);
                return 2;
            }
            await using var app = created;
            if (errors.Count > 0)
            {
                foreach (var e in errors) Refuse(e);
                return 2;
            }
            try
            {
                // Bind and validate the settings now, so that a bad one is reported before anything starts.
                ChorusSettingsCheck.Validate(app.Services);
                var options = app.Services.GetRequiredService<IOptions<ChorusServerOptions>>().Value;
                var storage = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
                if (options.Apps.Count == 0 && !loopback && !parse.GetValue(allowDev))
                    return Refuse($"the public development app may not listen on {bindHost}: configure your own app with --app APPID:SERVERSECRET, or pass {AllowDevAppOnNetwork}");
                if (File.Exists(storage.DataDirectory))
                    return Refuse(parse.GetValue(data) is null
                        ? $"Chorus:DataDirectory {storage.DataDirectory} is not a directory"
                        : $"--data {storage.DataDirectory} is not a directory");
                Directory.CreateDirectory(storage.DataDirectory);
                app.Services.GetRequiredService<DataDirectoryLock>().Acquire(); // a second server on this directory stops here (exit 2)
                _ = app.Services.GetRequiredService<NodeIdentity>(); // in a cluster: Redis reached and the node id claimed, or one line
                await app.StartAsync(cancellationToken);
                started = true;
            }
            catch (OptionsValidationException ex)
            {
                // One line per problem (a failure may itself join several with "; ").
                foreach (string failure in ex.Failures.SelectMany(f => f.Split("; ", StringSplitOptions.RemoveEmptyEntries)))
                    Refuse(failure);
                return 2;
            }
            catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
            {
                return Refuse(ex.Message);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Refuse(ex.Message, seeHelp: false);
            }
            catch (Exception ex) when (postgresConnection is not null && StoreFailure(ex) is { } failure)
            {
                // The database of --postgres cannot be used (unreachable, refused the login, not migratable): one line
                // naming where it points and what failed, never the password.
                return Refuse($"cannot use the PostgreSQL database at {PostgresConnection.Describe(postgresConnection)}: {PostgresConnection.Redact(failure.Message, postgresConnection)}", seeHelp: false);
            }
            catch (SocketException ex)
            {
                return Refuse($"cannot listen on {bindHost}: {ex.Message}", seeHelp: false);
            }
            catch (ChorusStartupException ex)
            {
                // Redis out of reach (1), or this node's Chorus:NodeId held by a live node (2).
                Refuse(ex.Message, seeHelp: false);
                return ex.ExitCode;
            }

            var registry = app.Services.GetRequiredService<AppRegistry>();
            Console.Out.WriteLine($"url: {app.GetListeningAddresses().FirstOrDefault()}");
            foreach (var a in registry.Apps)
            {
                // Only the well-known development secret is printed; configured secrets never are.
                Console.Out.WriteLine(registry.UsesDevApp
                    ? $"appId: {a.AppId}\nserverSecret: {a.ServerSecret}\nwarning: this is the public development app; configure your own with --app APPID:SERVERSECRET"
                    : $"appId: {a.AppId}");
            }
            Console.Out.Flush();
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private static int Refuse(string message, bool seeHelp = true) => CommandLineErrors.Refuse("serve", message, seeHelp);

    // The store failure behind a failed start, if that is what it was (the host may wrap a hosted service's exception).
    private static ChatStoreException? StoreFailure(Exception ex) => ex switch
    {
        ChatStoreException store => store,
        AggregateException aggregate => aggregate.InnerExceptions.Select(StoreFailure).FirstOrDefault(f => f is not null),
        { InnerException: { } inner } => StoreFailure(inner),
        _ => null,
    };

    /// <summary>
    /// Log levels the logging setup would throw on at start (<c>Logging:LogLevel:Chorus=Verbose</c>): every value under a
    /// <c>LogLevel</c> key of the Logging section must name a <see cref="LogLevel"/>, as the logging setup reads it.
    /// </summary>
    private static IEnumerable<string> LogLevelErrors(IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection("Logging").AsEnumerable())
        {
            if (string.IsNullOrEmpty(value)) continue;
            string[] path = key.Split(':');
            if (path.Length < 3 || !string.Equals(path[^2], "LogLevel", StringComparison.OrdinalIgnoreCase)) continue;
            if (!Enum.TryParse<LogLevel>(value, ignoreCase: true, out _))
                yield return $"{key}: '{CommandLineErrors.Shorten(value, 60)}' is not a log level ({string.Join(", ", Enum.GetNames<LogLevel>())})";
        }
    }

    /// <summary>A configuration file that does not parse, as <c>appsettings.json: line N: PROBLEM</c>.</summary>
    private static string ConfigurationFileError(InvalidDataException ex)
    {
        // "Failed to load configuration from file '/path/appsettings.json'."
        int open = ex.Message.IndexOf('\''), close = ex.Message.LastIndexOf('\'');
        string file = open >= 0 && close > open ? Path.GetFileName(ex.Message[(open + 1)..close]) : "a configuration file";
        Exception inner = ex.InnerException!;
        while (inner.InnerException is not null) inner = inner.InnerException;
        if (inner is JsonException { LineNumber: { } line } json)
        {
            string reason = json.Message;
            int at = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (at > 0) reason = reason[..at];
            return $"{file}: not valid JSON, line {line + 1}: {reason.TrimEnd('.', ' ')}";
        }
        return $"{file}: {inner.Message.TrimEnd('.')}";
    }

    /// <summary>
    /// The arguments serve does not know itself must be settings (<c>--Chorus:Key=Value</c>, <c>--Chorus:Key Value</c>,
    /// likewise <c>--Logging:...</c>); returns them as <c>--Key=Value</c>, or null after printing the first one that is not.
    /// </summary>
    private static string[]? SettingArguments(IReadOnlyList<string> tokens)
    {
        var result = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            string key = token.StartsWith("--", StringComparison.Ordinal) ? token[2..] : "";
            int eq = key.IndexOf('=');
            string? value = eq >= 0 ? key[(eq + 1)..] : null;
            if (eq >= 0) key = key[..eq];
            int colon = key.IndexOf(':');
            string section = colon > 0 ? key[..colon] : "";
            if (!s_settingSections.Contains(section, StringComparer.OrdinalIgnoreCase) || colon == key.Length - 1)
            {
                Refuse(token.StartsWith('-')
                    ? $"unknown option '{CommandLineErrors.Shorten(eq >= 0 ? token[..(eq + 2)] : token, 60)}' (settings are given as --Chorus:Name=Value)"
                    : $"unexpected argument '{CommandLineErrors.Shorten(token, 60)}'");
                return null;
            }
            if (value is null)
            {
                if (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    Refuse($"the setting {key} needs a value (--{key}=VALUE)");
                    return null;
                }
                value = tokens[++i];
            }
            result.Add($"--{key}={value}");
        }
        return [.. result];
    }

    /// <summary>
    /// Accepts an IP address (IPv4 in plain dotted form, or IPv6, brackets allowed) or localhost (<paramref name="address"/>
    /// null). Anything else is refused: Kestrel would take an unknown name as "every interface".
    /// </summary>
    private static bool TryParseHost(string host, out IPAddress? address)
    {
        address = null;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        string h = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (!IPAddress.TryParse(h, out address)) return false;
        // IPAddress also takes shorthand such as "127.1" or "10"; only the plain dotted form is accepted.
        if (address.AddressFamily == AddressFamily.InterNetwork) return address.ToString() == h;
        return address.AddressFamily == AddressFamily.InterNetworkV6 && h.Contains(':') && !h.Contains('%');
    }
}
