using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>Settings of the signed HTTP server API (flat keys under <c>Chorus</c>: <c>Chorus:ServerApiRatePerSecond:ACTION</c>).</summary>
public sealed class ServerApiOptions
{
    /// <summary>Server API calls per AppId per second, by action. Defaults are ZEGO's.</summary>
    public Dictionary<string, int> ServerApiRatePerSecond { get; set; } = new(StringComparer.Ordinal)
    {
        ["SendCustomCommand"] = 100,
        ["SendBroadcastMessage"] = 100,
        ["SendBarrageMessage"] = 100,
        ["DescribeUserNum"] = 10,
        ["DescribeUsers"] = 10,
        ["KickoutUser"] = 50,
        ["CloseRoom"] = 1,
        ["SendPeerMessage"] = 20,
        ["SendGroupMessage"] = 10,
        ["SendRoomMessage"] = 10,
        ["QueryUserOnlineState"] = 20,
    };
}

/// <summary>Checks <see cref="ServerApiOptions"/> at start.</summary>
public sealed class ServerApiOptionsValidator : IValidateOptions<ServerApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ServerApiOptions options)
    {
        var errors = new List<string>();
        foreach (var (action, rate) in options.ServerApiRatePerSecond)
            if (rate < 1) errors.Add($"Chorus:ServerApiRatePerSecond:{action} must be at least 1.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
