using System.CommandLine;
using Chorus.Protocol;

namespace Chorus.Cli.Commands;

/// <summary>The options shared by the commands that log in as a user: <c>--url --app-id (--token | --secret) --user [--user-name]</c>.</summary>
internal sealed class ClientArguments
{
    private readonly Option<string> _url = new("--url") { Description = "Server base address, e.g. http://127.0.0.1:8080.", Required = true };
    private readonly Option<uint> _appId = new Option<uint>("--app-id") { Description = "AppId.", Required = true }.InRange(1, uint.MaxValue);
    private readonly Option<string?> _token = new("--token") { Description = "Token04 to log in with." };
    private readonly Option<string?> _secret = new("--secret") { Description = "ServerSecret: make (and renew) tokens locally instead of --token." };
    private readonly Option<string> _user = new("--user") { Description = "UserId.", Required = true };
    private readonly Option<string?> _userName = new("--user-name") { Description = "Display name (default: the UserId)." };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _url, _appId, _token, _secret, _user, _userName }) command.Options.Add(option);
    }

    /// <summary>Reads and checks the options; on a problem writes it to stderr (prefixed with the command) and returns null.</summary>
    public Values? Read(ParseResult parse, string commandName)
    {
        string? token = parse.GetValue(_token), secret = parse.GetValue(_secret);
        if ((token is null) == (secret is null)) return Fail(commandName, "give exactly one of --token and --secret");
        if (!Uri.TryCreate(parse.GetValue(_url), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https" or "ws" or "wss"))
            return Fail(commandName, "--url must be an absolute http(s) or ws(s) address such as http://127.0.0.1:8080");
        uint appId = parse.GetValue(_appId);
        string userId = parse.GetValue(_user)!;
        if (CommandLineErrors.UserProblem(userId) is { } badUser) return Fail(commandName, badUser);
        if (secret is not null && CommandLineErrors.SecretProblem(secret) is { } badSecret) return Fail(commandName, badSecret);
        Func<string>? renew = secret is null ? null : () => Token04.Generate(appId, userId, secret, 3600);
        try { token ??= renew!(); }
        catch (ArgumentException ex) { return Fail(commandName, CommandLineErrors.Plain(ex)); }
        return new Values(url, appId, userId, parse.GetValue(_userName) ?? userId, token, renew);
    }

    private static Values? Fail(string commandName, string message)
    {
        CommandLineErrors.Refuse(commandName, message);
        return null;
    }

    /// <summary>The checked values.</summary>
    /// <param name="Url">Server base address.</param>
    /// <param name="AppId">AppId.</param>
    /// <param name="UserId">UserId.</param>
    /// <param name="UserName">Display name.</param>
    /// <param name="Token">The token to log in with.</param>
    /// <param name="Renew">Makes a fresh token (only with --secret).</param>
    public sealed record Values(Uri Url, uint AppId, string UserId, string UserName, string Token, Func<string>? Renew);
}
