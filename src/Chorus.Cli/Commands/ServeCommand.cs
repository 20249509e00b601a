using System.CommandLine;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus serve [--port N] [--host H] [--data DIR] [--app APPID:SERVERSECRET]...</c></summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "TCP port to listen on (default 8080; 0 picks a free port). Also: Chorus__Port, appsettings.json." };
        var host = new Option<string?>("--host") { Description = "Address to bind (default 127.0.0.1)." };
        var data = new Option<string?>("--data") { Description = "Data directory (default ./data)." };
        var apps = new Option<string[]>("--app") { Description = "An app as APPID:SERVERSECRET (repeatable). Without any, a development app is used.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("serve", "Start the server. Unrecognized --Key=Value arguments go to ASP.NET Core configuration.")
        {
            port, host, data, apps,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Dictionary<string, string?>();
            var appList = parse.GetValue(apps) ?? [];
            for (int i = 0; i < appList.Length; i++)
            {
                int colon = appList[i].IndexOf(':');
                if (colon <= 0 || !uint.TryParse(appList[i][..colon], out uint appId))
                {
                    Console.Error.WriteLine($"chorus serve: --app expects APPID:SERVERSECRET (got an app without a numeric AppId at position {i + 1})");
                    return 2;
                }
                settings[$"Chorus:Apps:{i}:AppId"] = appId.ToString();
                settings[$"Chorus:Apps:{i}:ServerSecret"] = appList[i][(colon + 1)..];
            }
            if (parse.GetValue(data) is { } dir) settings["Chorus:DataDirectory"] = dir;

            var app = ChorusServerApp.Create(parse.UnmatchedTokens.ToArray(), builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                int p = parse.GetValue(port) ?? builder.Configuration.GetValue<int?>("Chorus:Port") ?? 8080;
                string h = parse.GetValue(host) ?? builder.Configuration["Chorus:Host"] ?? "127.0.0.1";
                builder.WebHost.UseUrls($"http://{h}:{p}");
                // Logs go to stderr so that stdout carries only the lines scripts read (url, appId...).
                builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            });
            try
            {
                string dataDir = app.Configuration["Chorus:DataDirectory"] ?? "data";
                Directory.CreateDirectory(dataDir);
                app.Services.GetRequiredService<DataDirectoryLock>().Acquire(); // a second server on this directory stops here (exit 2)
                await app.StartAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"chorus serve: {ex.Message}");
                return 2;
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
}
