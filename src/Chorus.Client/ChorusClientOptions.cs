namespace Chorus.Client;

/// <summary>Immutable settings of a <see cref="ChorusRoomClient"/>.</summary>
public sealed record ChorusClientOptions
{
    /// <summary>The server's base address as <c>chorus serve</c> prints it, e.g. <c>http://127.0.0.1:8080</c>.
    /// The WebSocket address (<c>ws://.../ws?appId=N</c>) is derived from it.</summary>
    public required Uri ServerUrl { get; init; }
    /// <summary>The app's AppId.</summary>
    public required uint AppId { get; init; }
    /// <summary>How long a request waits for the server's answer before it fails with 1009010. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long opening the WebSocket may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The connection is considered dead when nothing arrives for this long. Default 30 s.</summary>
    public TimeSpan ServerSilenceTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>First reconnect delay; it doubles up to <see cref="ReconnectMaxDelay"/>, with random jitter. Default 200 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Longest reconnect delay. Default 5 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long the client keeps trying to reconnect before rooms get ReconnectFailed. Default 5 minutes.</summary>
    public TimeSpan ReconnectGiveUpAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The WebSocket address derived from <see cref="ServerUrl"/>.</summary>
    public Uri WebSocketUrl
    {
        get
        {
            var b = new UriBuilder(ServerUrl)
            {
                Scheme = ServerUrl.Scheme switch { "https" or "wss" => "wss", _ => "ws" },
            };
            b.Path = b.Path.TrimEnd('/') + "/ws";
            b.Query = $"appId={AppId}";
            return b.Uri;
        }
    }
}
