using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>The server's first frame on a connection (op <c>hello</c>): the protocol version, heartbeat and limits in force.</summary>
public sealed record HelloEvent : ProtocolEvent
{
    /// <summary>Creates a <c>hello</c> frame.</summary>
    public HelloEvent() : base(Ops.Hello) { }

    /// <summary>Heartbeat interval the server expects, in milliseconds.</summary>
    [JsonPropertyName("heartbeatMs")] public int? HeartbeatMs { get; set; }
    /// <summary>Protocol version spoken.</summary>
    [JsonPropertyName("version")] public int? Version { get; set; }
    /// <summary>Largest WebSocket message the server accepts from the client, in bytes.</summary>
    [JsonPropertyName("maxFrameBytes")] public int? MaxFrameBytes { get; set; }
    /// <summary>Largest chat text or custom message the server accepts, in UTF-8 bytes.</summary>
    [JsonPropertyName("maxTextBytes")] public int? MaxTextBytes { get; set; }
}

/// <summary>A heartbeat (op <c>ping</c>); the server answers with <see cref="PongResult"/>.</summary>
public sealed record PingRequest : ProtocolRequest
{
    /// <summary>Creates a <c>ping</c>.</summary>
    public PingRequest() : base(Ops.Ping) { }
}

/// <summary>The answer to a <c>ping</c> (op <c>pong</c>, the ping's rid).</summary>
public sealed record PongResult : ProtocolResult
{
    /// <summary>Creates a <c>pong</c>.</summary>
    public PongResult() : base(Ops.Pong) { }
}

/// <summary>
/// A protocol error not tied to a request (op <c>error</c>): a frame that could not be parsed, or one over the frame
/// limit whose rid was not found (errorCode 1000002 or 1000005, with error).
/// </summary>
public sealed record ErrorEvent : ProtocolEvent
{
    /// <summary>Creates an <c>error</c> frame.</summary>
    public ErrorEvent() : base(Ops.Error) { }

    /// <summary>The room of the refused frame, when its prefix named one.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
}

/// <summary>
/// What identifies any request whatever its op: op, rid and roomId. Read when the op is unknown (answered with 1000002)
/// or when a refusal (flood limits) answers a request without reading its payload.
/// </summary>
public sealed record RequestEnvelope : ProtocolRequest
{
    /// <summary>Creates an envelope with no op (deserialization sets the one on the wire).</summary>
    public RequestEnvelope() : base("") { }

    /// <summary>The room the request names, if any.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
}
