using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>A custom command received (event <c>customCommand</c>; the request of the same name is <see cref="CustomCommandRequest"/>).</summary>
public sealed record CustomCommandEvent : ProtocolEvent
{
    /// <summary>Creates a <c>customCommand</c> event.</summary>
    public CustomCommandEvent() : base(Ops.CustomCommand) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The command.</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
    /// <summary>Send time, Unix milliseconds.</summary>
    [JsonPropertyName("sendTime")] public long? SendTime { get; set; }
    /// <summary>The sender.</summary>
    [JsonPropertyName("fromUserId")] public string? FromUserId { get; set; }
    /// <summary>The sender's display name.</summary>
    [JsonPropertyName("fromUserName")] public string? FromUserName { get; set; }
}

/// <summary>A broadcast message received (event <c>broadcast</c>; the request of the same name is <see cref="BroadcastRequest"/>).</summary>
public sealed record BroadcastEvent : ProtocolEvent
{
    /// <summary>Creates a <c>broadcast</c> event.</summary>
    public BroadcastEvent() : base(Ops.Broadcast) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The message.</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
    /// <summary>The message id (int64).</summary>
    [JsonPropertyName("messageId")] public long? MessageId { get; set; }
    /// <summary>Send time, Unix milliseconds.</summary>
    [JsonPropertyName("sendTime")] public long? SendTime { get; set; }
    /// <summary>The sender.</summary>
    [JsonPropertyName("fromUserId")] public string? FromUserId { get; set; }
    /// <summary>The sender's display name.</summary>
    [JsonPropertyName("fromUserName")] public string? FromUserName { get; set; }
}

/// <summary>A barrage message received (event <c>barrage</c>; the request of the same name is <see cref="BarrageRequest"/>).</summary>
public sealed record BarrageEvent : ProtocolEvent
{
    /// <summary>Creates a <c>barrage</c> event.</summary>
    public BarrageEvent() : base(Ops.Barrage) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The message.</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
    /// <summary>The message id.</summary>
    [JsonPropertyName("barrageId")] public string? BarrageId { get; set; }
    /// <summary>Send time, Unix milliseconds.</summary>
    [JsonPropertyName("sendTime")] public long? SendTime { get; set; }
    /// <summary>The sender.</summary>
    [JsonPropertyName("fromUserId")] public string? FromUserId { get; set; }
    /// <summary>The sender's display name.</summary>
    [JsonPropertyName("fromUserName")] public string? FromUserName { get; set; }
}

/// <summary>Room users joined or left (event <c>userUpdate</c>).</summary>
public sealed record UserUpdateEvent : ProtocolEvent
{
    /// <summary>Creates a <c>userUpdate</c> event.</summary>
    public UserUpdateEvent() : base(Ops.UserUpdate) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The users who joined or left.</summary>
    [JsonPropertyName("users")] public WireUser[]? Users { get; set; }
    /// <summary><c>add</c> or <c>delete</c>.</summary>
    [JsonPropertyName("updateType")] public string? UpdateType { get; set; }
}

/// <summary>The room's online user count (event <c>onlineCount</c>, periodic).</summary>
public sealed record OnlineCountEvent : ProtocolEvent
{
    /// <summary>Creates an <c>onlineCount</c> event.</summary>
    public OnlineCountEvent() : base(Ops.OnlineCount) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>Online user count.</summary>
    [JsonPropertyName("count")] public int? Count { get; set; }
}

/// <summary>The room state changed by the server (event <c>roomState</c>: a kick-out, with its errorCode and error).</summary>
public sealed record RoomStateEvent : ProtocolEvent
{
    /// <summary>Creates a <c>roomState</c> event.</summary>
    public RoomStateEvent() : base(Ops.RoomState) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The reason (<see cref="RoomStateReason"/>; 6 = KickOut).</summary>
    [JsonPropertyName("reason")] public int? Reason { get; set; }
    /// <summary>Free-form text attached to a kick-out (server API CustomReason).</summary>
    [JsonPropertyName("extendedData")] public string? ExtendedData { get; set; }
}

/// <summary>The room token expires soon (event <c>tokenWillExpire</c>).</summary>
public sealed record TokenWillExpireEvent : ProtocolEvent
{
    /// <summary>Creates a <c>tokenWillExpire</c> event.</summary>
    public TokenWillExpireEvent() : base(Ops.TokenWillExpire) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>Seconds left before the token expires.</summary>
    [JsonPropertyName("secondsLeft")] public int? SecondsLeft { get; set; }
}

/// <summary>A room extra info key changed (event <c>extraInfo</c>, to everyone but the setter).</summary>
public sealed record ExtraInfoEvent : ProtocolEvent
{
    /// <summary>Creates an <c>extraInfo</c> event.</summary>
    public ExtraInfoEvent() : base(Ops.ExtraInfo) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>When it was set, Unix milliseconds.</summary>
    [JsonPropertyName("sendTime")] public long? SendTime { get; set; }
    /// <summary>The user who set it.</summary>
    [JsonPropertyName("fromUserId")] public string? FromUserId { get; set; }
    /// <summary>The key.</summary>
    [JsonPropertyName("key")] public string? Key { get; set; }
    /// <summary>The value.</summary>
    [JsonPropertyName("value")] public string? Value { get; set; }
}
