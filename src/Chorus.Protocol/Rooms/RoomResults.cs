using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>
/// The answer to a room op that returns nothing but the room it is about (<c>logout</c>, <c>renewToken</c>,
/// <c>customCommand</c>, <c>setExtraInfo</c>), and any refusal of a request that echoes its roomId (flood limits,
/// a frame over the size limit).
/// </summary>
public sealed record RoomResult : ProtocolResult
{
    /// <summary>The room the answer is about.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
}

/// <summary>The answer to <c>login</c>.</summary>
public sealed record LoginResult : ProtocolResult
{
    /// <summary>The room logged into.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The users already in the room.</summary>
    [JsonPropertyName("users")] public WireUser[]? Users { get; set; }
    /// <summary>The number of users in the room.</summary>
    [JsonPropertyName("count")] public int? Count { get; set; }
}

/// <summary>The answer to <c>broadcast</c>.</summary>
public sealed record BroadcastResult : ProtocolResult
{
    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The broadcast's message id (int64).</summary>
    [JsonPropertyName("messageId")] public long? MessageId { get; set; }
}

/// <summary>The answer to <c>barrage</c>.</summary>
public sealed record BarrageResult : ProtocolResult
{
    /// <summary>The room.</summary>
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    /// <summary>The barrage message's id (e.g. <c>1_1611647493487_29</c>).</summary>
    [JsonPropertyName("barrageId")] public string? BarrageId { get; set; }
}
