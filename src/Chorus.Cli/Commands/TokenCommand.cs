using System.CommandLine;
using Chorus.Protocol;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus token --app-id ID --secret S --user U [--room R] [--expire SECONDS]</c></summary>
internal static class TokenCommand
{
    /// <summary>The server's default <c>Chorus:MaxTokenLifetime</c> (24 h), in seconds.</summary>
    private static readonly long DefaultServerMaxLifetimeSeconds = (long)new Chorus.Server.Hosting.AuthOptions().MaxTokenLifetime.TotalSeconds;

    public static Command Create()
    {
        var appId = new Option<uint>("--app-id") { Description = "AppId.", Required = true }.InRange(1, uint.MaxValue);
        var secret = new Option<string>("--secret") { Description = "The app's ServerSecret (32 characters).", Required = true };
        var user = new Option<string>("--user") { Description = "UserId the token is for.", Required = true };
        var room = new Option<string?>("--room") { Description = "Restrict the token to this room (login and publish privileges)." };
        var expire = new Option<long>("--expire") { Description = "Lifetime in seconds, 1 to 2147483647 (default 3600).", DefaultValueFactory = _ => 3600 }.InRange(1, int.MaxValue);
        var command = new Command("token", "Print a Token04 for a user.") { appId, secret, user, room, expire };
        command.SetAction(parse =>
        {
            try
            {
                if ((CommandLineErrors.UserProblem(parse.GetValue(user)!) ?? CommandLineErrors.SecretProblem(parse.GetValue(secret)!)) is { } problem)
                    return CommandLineErrors.Refuse("token", problem);
                string? r = parse.GetValue(room);
                long lifetime = parse.GetValue(expire);
                if (lifetime > DefaultServerMaxLifetimeSeconds)
                    Console.Error.WriteLine($"chorus token: warning: a lifetime over {DefaultServerMaxLifetimeSeconds} s (24 h) is refused by a server with the default Chorus:MaxTokenLifetime");
                Console.Out.WriteLine(Token04.Generate(parse.GetValue(appId), parse.GetValue(user)!, parse.GetValue(secret)!, lifetime,
                    r is null ? null : RoomPayload.Create(r)));
                return 0;
            }
            catch (ArgumentException ex)
            {
                return CommandLineErrors.Refuse("token", CommandLineErrors.Plain(ex));
            }
        });
        return command;
    }
}
