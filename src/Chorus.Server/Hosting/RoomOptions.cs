using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>
/// Settings of rooms (signaling): rooms per connection, the online-count interval, broadcast, barrage and custom-command
/// rates (flat keys under <c>Chorus</c>, e.g. <c>Chorus:MaxRoomsPerConnection</c>).
/// </summary>
public sealed class RoomOptions
{
    /// <summary>Rooms one connection may be logged into at once. Default 5.</summary>
    public int MaxRoomsPerConnection { get; set; } = 5;
    /// <summary>How often room members get the online user count. Default 30 s.</summary>
    public TimeSpan OnlineCountInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Broadcast messages per room per second. Default 10.</summary>
    public int BroadcastPerRoomPerSecond { get; set; } = 10;
    /// <summary>Broadcast messages per client per second. Default 2.</summary>
    public int BroadcastPerClientPerSecond { get; set; } = 2;
    /// <summary>Barrage messages per room per second. Default 20.</summary>
    public int BarragePerRoomPerSecond { get; set; } = 20;
    /// <summary>Custom commands per client per second when sent to one user. Default 200.</summary>
    public int CustomCommandToOnePerSecond { get; set; } = 200;
    /// <summary>Custom commands per client per second when sent to several users or the whole room. Default 10.</summary>
    public int CustomCommandToManyPerSecond { get; set; } = 10;
}

/// <summary>Checks <see cref="RoomOptions"/> at start.</summary>
public sealed class RoomOptionsValidator : IValidateOptions<RoomOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RoomOptions options)
    {
        var errors = new List<string>();
        if (options.MaxRoomsPerConnection < 1) errors.Add("Chorus:MaxRoomsPerConnection must be at least 1.");
        if (options.OnlineCountInterval <= TimeSpan.Zero) errors.Add("Chorus:OnlineCountInterval must be positive.");
        if (options.BroadcastPerRoomPerSecond < 1 || options.BroadcastPerClientPerSecond < 1 || options.BarragePerRoomPerSecond < 1
            || options.CustomCommandToOnePerSecond < 1 || options.CustomCommandToManyPerSecond < 1)
            errors.Add("Chorus: every per-second message limit must be at least 1.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
