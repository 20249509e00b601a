using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>
/// Settings of the WebSocket gateway: heartbeats, the send queue, frame size, connection and frame flood limits, slow
/// consumers (flat keys under <c>Chorus</c>, e.g. <c>Chorus:MaxFrameBytes</c>).
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>A connection that sends nothing (not even a ping) for this long is dropped. Default 30 s (ZEGO: 100 s).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often clients are asked to ping. Default 10 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Frames queued for one connection at most. Unreliable frames are dropped once half is used;
    /// a reliable frame that does not fit disconnects the client. Default 1024.</summary>
    public int SendQueueCapacity { get; set; } = 1024;
    /// <summary>Largest WebSocket message accepted from a client, in bytes (told to clients in the hello frame). A larger
    /// one is read and discarded and answered with 1000005 (up to 1 MiB; beyond, the connection is closed with 1009).
    /// Default 16 KiB.</summary>
    public int MaxFrameBytes { get; set; } = Protocol.FrameLimits.DefaultMaxFrameBytes;
    /// <summary>New WebSocket connections accepted per remote IP address per second; more are refused with HTTP 429. Default 50.</summary>
    public int ConnectionsPerIpPerSecond { get; set; } = 50;
    /// <summary>Frames one connection may send per second; beyond, requests are refused with 1000003, and a
    /// connection that sends twice as many is closed (1008). Default 200.</summary>
    public int FramesPerConnectionPerSecond { get; set; } = 200;
    /// <summary>Frames all connections of one app may send per second; beyond, requests are refused with 1000003. Default 20000.</summary>
    public int FramesPerAppPerSecond { get; set; } = 20_000;
    /// <summary>Login attempts (room and chat) per connection per minute; beyond, logins are refused with 1000004. Default 30.</summary>
    public int LoginAttemptsPerConnectionPerMinute { get; set; } = 30;
    /// <summary>A connection whose socket has not taken a queued frame for this long is disconnected (a stuck reader). Default 10 s.</summary>
    public TimeSpan SlowConsumerTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="GatewayOptions"/> at start.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.HeartbeatTimeout <= TimeSpan.Zero) errors.Add("Chorus:HeartbeatTimeout must be positive.");
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.HeartbeatInterval >= options.HeartbeatTimeout)
            errors.Add("Chorus:HeartbeatInterval must be positive and shorter than HeartbeatTimeout.");
        if (options.SendQueueCapacity < 4) errors.Add("Chorus:SendQueueCapacity must be at least 4.");
        if (options.MaxFrameBytes < 2048 || options.MaxFrameBytes > Protocol.FrameLimits.MaxDiscardedFrameBytes)
            errors.Add("Chorus:MaxFrameBytes must be between 2048 and 1048576.");
        if (options.ConnectionsPerIpPerSecond < 1 || options.FramesPerConnectionPerSecond < 1 || options.FramesPerAppPerSecond < 1 || options.LoginAttemptsPerConnectionPerMinute < 1)
            errors.Add("Chorus: flood limits (ConnectionsPerIpPerSecond, FramesPerConnectionPerSecond, FramesPerAppPerSecond, LoginAttemptsPerConnectionPerMinute) must be at least 1.");
        if (options.SlowConsumerTimeout <= TimeSpan.Zero) errors.Add("Chorus:SlowConsumerTimeout must be positive.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
