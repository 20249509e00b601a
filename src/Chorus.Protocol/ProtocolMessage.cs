using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>
/// The envelope every typed protocol message shares (see docs/protocol.md): <c>op</c>, <c>rid</c>, <c>errorCode</c> and
/// <c>error</c>, written first and in that order; each op's own fields follow in the order docs/protocol.md lists
/// them (the order of the one flat frame class of earlier versions, so the bytes on the wire did not change). Null
/// fields are omitted.
/// </summary>
public abstract record ProtocolMessage
{
    /// <summary>Starts a message of operation or event <paramref name="op"/>.</summary>
    /// <param name="op">The op name (see <see cref="Ops"/>).</param>
    protected ProtocolMessage(string op) => Op = op;

    /// <summary>The operation or event name (see <see cref="Ops"/>); set by each record's constructor.</summary>
    [JsonPropertyName("op"), JsonPropertyOrder(-4)] public string Op { get; set; }

    /// <summary>Request id chosen by the client; a result echoes it.</summary>
    [JsonPropertyName("rid"), JsonPropertyOrder(-3)] public long? Rid { get; set; }

    /// <summary>Error code of a result or event (0 = success).</summary>
    [JsonPropertyName("errorCode"), JsonPropertyOrder(-2)] public int? ErrorCode { get; set; }

    /// <summary>Human-readable text for an error code.</summary>
    [JsonPropertyName("error"), JsonPropertyOrder(-1)] public string? Error { get; set; }

    /// <summary>Serializes this message to UTF-8 JSON, with only the escapes JSON requires (<see cref="ProtocolJson"/>).</summary>
    public byte[] ToUtf8Bytes() => ProtocolJson.ToUtf8Bytes(this);
}

/// <summary>A client → server request: its <see cref="ProtocolMessage.Op"/> names the operation, its <see cref="ProtocolMessage.Rid"/> the answer.</summary>
public abstract record ProtocolRequest : ProtocolMessage
{
    /// <summary>Starts a request of operation <paramref name="op"/>.</summary>
    /// <param name="op">The op name.</param>
    protected ProtocolRequest(string op) : base(op) { }
}

/// <summary>
/// The server's answer to one request: op <c>result</c> (<c>pong</c> for <c>ping</c>), the request's <c>rid</c>, and
/// <c>errorCode</c> (0 on success, else with <c>error</c>).
/// </summary>
public abstract record ProtocolResult : ProtocolMessage
{
    /// <summary>Starts a <c>result</c>.</summary>
    protected ProtocolResult() : base(Ops.Result) { }

    /// <summary>Starts an answer whose op is not <c>result</c> (<c>pong</c>).</summary>
    /// <param name="op">The op name.</param>
    protected ProtocolResult(string op) : base(op) { }
}

/// <summary>A server → client message not answering a request.</summary>
public abstract record ProtocolEvent : ProtocolMessage
{
    /// <summary>Starts an event named <paramref name="op"/>.</summary>
    /// <param name="op">The event name.</param>
    protected ProtocolEvent(string op) : base(op) { }
}

/// <summary>
/// A result carrying nothing beyond the envelope (op, rid, errorCode, error): the answer of every chat op that returns no
/// data (chatLogout, chatRenewToken, deleteMessages, clearUnread, leaveGroup...), and of any chat op refused.
/// </summary>
public sealed record EmptyResult : ProtocolResult;
