using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Logs into a room (op <c>login</c>); answered with <see cref="LoginResult"/>.</summary>
public sealed record LoginRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>login</c> request.</summary>
    public LoginRequest() : base(Ops.Login) { }

    /// <summary>The room (1-128 bytes of the allowed characters).</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The user logging in (1-64 bytes).</summary>
    [JsonPropertyName("userId")] public string? UserId { get; set; }
    /// <summary>The user's display name (at most 255 bytes; the UserId when absent).</summary>
    [JsonPropertyName("userName")] public string? UserName { get; set; }
    /// <summary>The Token04 for this user and room.</summary>
    [JsonPropertyName("token")] public string? Token { get; set; }
    /// <summary>Room capacity asked for (0 = unlimited); the room's first user sets it.</summary>
    [JsonPropertyName("maxMemberCount")] public int? MaxMemberCount { get; set; }
    /// <summary>Whether the client wants room user update events (default true).</summary>
    [JsonPropertyName("userStatusNotify")] public bool? UserStatusNotify { get; set; }
}

/// <summary>Logs out of a room (op <c>logout</c>); answered with <see cref="RoomResult"/>.</summary>
public sealed record LogoutRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>logout</c> request.</summary>
    public LogoutRequest() : base(Ops.Logout) { }

    /// <summary>The room logged into.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
}

/// <summary>Replaces the token of a room login (op <c>renewToken</c>); answered with <see cref="RoomResult"/>.</summary>
public sealed record RenewTokenRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>renewToken</c> request.</summary>
    public RenewTokenRequest() : base(Ops.RenewToken) { }

    /// <summary>The room logged into.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The new Token04.</summary>
    [JsonPropertyName("token")] public string? Token { get; set; }
}

/// <summary>Sends a custom command (op <c>customCommand</c>); answered with <see cref="RoomResult"/>. Receivers get <see cref="CustomCommandEvent"/>.</summary>
public sealed record CustomCommandRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>customCommand</c> request.</summary>
    public CustomCommandRequest() : base(Ops.CustomCommand) { }

    /// <summary>The room the sender is logged into.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The command (1-1024 UTF-8 bytes).</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
    /// <summary>Target users (0-10); absent or empty = everyone in the room but the sender.</summary>
    [JsonPropertyName("toUserIds")] public string[]? ToUserIds { get; set; }
}

/// <summary>Sends a broadcast message (op <c>broadcast</c>); answered with <see cref="BroadcastResult"/>. Receivers get <see cref="BroadcastEvent"/>.</summary>
public sealed record BroadcastRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>broadcast</c> request.</summary>
    public BroadcastRequest() : base(Ops.Broadcast) { }

    /// <summary>The room the sender is logged into.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The message (1-1024 UTF-8 bytes).</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
}

/// <summary>Sends a barrage message (op <c>barrage</c>); answered with <see cref="BarrageResult"/>. Receivers get <see cref="BarrageEvent"/>.</summary>
public sealed record BarrageRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>barrage</c> request.</summary>
    public BarrageRequest() : base(Ops.Barrage) { }

    /// <summary>The room the sender is logged into.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The message (1-1024 UTF-8 bytes).</summary>
    [JsonPropertyName("content")] public string? Content { get; set; }
}

/// <summary>Sets a room extra info key (op <c>setExtraInfo</c>); answered with <see cref="RoomResult"/>. The others get <see cref="ExtraInfoEvent"/>.</summary>
public sealed record SetExtraInfoRequest : ProtocolRequest, IRoomRequest
{
    /// <summary>Creates a <c>setExtraInfo</c> request.</summary>
    public SetExtraInfoRequest() : base(Ops.SetExtraInfo) { }

    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The key (1-127 bytes).</summary>
    [JsonPropertyName("key")] public string? Key { get; set; }
    /// <summary>The value (under 4096 bytes).</summary>
    [JsonPropertyName("value")] public string? Value { get; set; }
}

/// <summary>A request about one room: the room ops' caller check reads its <see cref="RoomId"/>.</summary>
public interface IRoomRequest
{
    /// <summary>The room the request names, as the client sent it.</summary>
    string? RoomId { get; }
}
