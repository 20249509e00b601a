using System.Net;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Gateway;

/// <summary>
/// The gateway's flood limits: new connections per IP, frames per connection and per app, login attempts per
/// connection. Each has a setting in <see cref="GatewayOptions"/>, a clear refusal, and is logged when it bites.
/// </summary>
public sealed partial class FloodGuard
{
    private readonly GatewayOptions _options;
    private readonly AppRegistry _apps;
    private readonly TimeProvider _time;
    private readonly ILogger<FloodGuard> _logger;
    private readonly KeyedLimiter<IPAddress> _connectionsByIp;
    private readonly KeyedLimiter<uint> _framesByApp;

    /// <summary>Creates the guard.</summary>
    public FloodGuard(IOptions<GatewayOptions> options, AppRegistry apps, TimeProvider time, ILogger<FloodGuard> logger)
    {
        _options = options.Value;
        _apps = apps;
        _time = time;
        _logger = logger;
        _connectionsByIp = new(_options.ConnectionsPerIpPerSecond, TimeSpan.FromSeconds(1), sweepEvery: TimeSpan.FromSeconds(10));
        _framesByApp = new(_options.FramesPerAppPerSecond, TimeSpan.FromSeconds(1), sweepEvery: TimeSpan.FromSeconds(10));
    }

    /// <summary>Whether a new connection from <paramref name="address"/> may be accepted now (IPv6 counted per /64,
    /// one host's usual share, so a host cannot step around the limit by changing its low address bits).</summary>
    public bool AllowConnection(IPAddress? address)
    {
        address = TokenValidator.AddressKey(address?.ToString());
        var now = _time.GetUtcNow();
        bool allowed = _connectionsByIp.TryAcquire(address, now);
        if (!allowed) Log.ConnectionRefused(_logger, address.ToString());
        return allowed;
    }

    /// <summary>Sets up a new connection's own limits.</summary>
    public void Attach(ClientSession session)
    {
        session.FrameLimit = new SlidingWindowLimiter(_options.FramesPerConnectionPerSecond, TimeSpan.FromSeconds(1));
        session.FrameHardLimit = new SlidingWindowLimiter(2 * _options.FramesPerConnectionPerSecond, TimeSpan.FromSeconds(1));
        session.LoginLimit = new SlidingWindowLimiter(_options.LoginAttemptsPerConnectionPerMinute, TimeSpan.FromMinutes(1));
    }

    /// <summary>Checks one received frame of the op's <paramref name="rate"/> class (null: no op the table knows): null when
    /// it may be handled, else the code and text of the refusal; <paramref name="close"/> is set when the connection should be closed.</summary>
    public (int Code, string Message)? CheckFrame(ClientSession session, Core.Operations.RateClass? rate, out bool close)
    {
        var now = _time.GetUtcNow();
        close = !session.FrameHardLimit!.TryAcquire(now);
        if (close)
        {
            Log.ConnectionFlooding(_logger, session.Id, session.AppId);
            return (RoomErrorCodes.TooManyRequests, "frames sent far too fast");
        }
        if (!session.FrameLimit!.TryAcquire(now))
            return (RoomErrorCodes.TooManyRequests, $"a connection may send at most {_options.FramesPerConnectionPerSecond} frames per second");
        // AppIds the server does not host share one counter, so made-up AppIds cannot grow the table.
        uint appKey = _apps.TryGet(session.AppId, out _) ? session.AppId : 0;
        if (!_framesByApp.TryAcquire(appKey, now))
            return (RoomErrorCodes.TooManyRequests, $"this app's connections may send at most {_options.FramesPerAppPerSecond} frames per second");
        if (rate == Core.Operations.RateClass.Login && !session.LoginLimit!.TryAcquire(now))
        {
            Log.LoginFlooding(_logger, session.Id, session.AppId);
            return (RoomErrorCodes.TooManyLoginAttempts, $"at most {_options.LoginAttemptsPerConnectionPerMinute} login attempts per minute on one connection");
        }
        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Warning, "Connection from {Address} refused: over the per-IP connection rate")]
        public static partial void ConnectionRefused(ILogger logger, string address);

        [LoggerMessage(2102, LogLevel.Warning, "Session {SessionId} of app {AppId} closed: frames far over the per-connection rate")]
        public static partial void ConnectionFlooding(ILogger logger, long sessionId, uint appId);

        [LoggerMessage(2103, LogLevel.Warning, "Session {SessionId} of app {AppId}: login attempts over the limit")]
        public static partial void LoginFlooding(ILogger logger, long sessionId, uint appId);
    }
}
