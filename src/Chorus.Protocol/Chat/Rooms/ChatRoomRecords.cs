using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Creates a chat room (op <c>createRoom</c>); answered with <see cref="CreateRoomResult"/>.</summary>
public sealed record CreateRoomRequest : ProtocolRequest
{
    /// <summary>Creates a <c>createRoom</c> request.</summary>
    public CreateRoomRequest() : base(Ops.CreateRoom) { }

    /// <summary>The chat room ID (1-128 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The room name (at most 64 bytes).</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>Enters a chat room, creating it if missing (op <c>enterRoom</c>); answered with <see cref="EnterRoomResult"/>.</summary>
public sealed record EnterRoomRequest : ProtocolRequest
{
    /// <summary>Creates a <c>enterRoom</c> request.</summary>
    public EnterRoomRequest() : base(Ops.EnterRoom) { }

    /// <summary>The chat room ID (1-128 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The room name when this creates it (at most 64 bytes).</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>Joins an existing chat room (op <c>joinRoom</c>); answered with <see cref="JoinRoomResult"/>.</summary>
public sealed record JoinRoomRequest : ProtocolRequest
{
    /// <summary>Creates a <c>joinRoom</c> request.</summary>
    public JoinRoomRequest() : base(Ops.JoinRoom) { }

    /// <summary>The chat room ID (1-128 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The room name as the client sent it (at most 64 bytes; the existing room keeps its own).</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>Leaves a chat room (op <c>leaveRoom</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record LeaveRoomRequest : ProtocolRequest
{
    /// <summary>Creates a <c>leaveRoom</c> request.</summary>
    public LeaveRoomRequest() : base(Ops.LeaveRoom) { }

    /// <summary>The chat room ID (1-128 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses one over 64 bytes, as it checks the name of every chat room op.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>Lists a chat room's members (op <c>queryRoomMembers</c>); answered with <see cref="QueryRoomMembersResult"/>.</summary>
public sealed record QueryRoomMembersRequest : ProtocolRequest
{
    /// <summary>Creates a <c>queryRoomMembers</c> request.</summary>
    public QueryRoomMembersRequest() : base(Ops.QueryRoomMembers) { }

    /// <summary>The chat room ID (1-128 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses one over 64 bytes, as it checks the name of every chat room op.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>A result describing the chat room entered: the answers to <c>createRoom</c>, <c>enterRoom</c> and <c>joinRoom</c>.</summary>
public abstract record ResultWithChatRoom : ProtocolResult
{
    /// <summary>The number of members.</summary>
    [JsonPropertyName("count")] public int? Count { get; set; }
    /// <summary>The room's newest sequence number.</summary>
    [JsonPropertyName("nextSeq")] public long? NextSeq { get; set; }
    /// <summary>The room's name.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>The answer to <c>createRoom</c>.</summary>
public sealed record CreateRoomResult : ResultWithChatRoom;

/// <summary>The answer to <c>enterRoom</c>.</summary>
public sealed record EnterRoomResult : ResultWithChatRoom;

/// <summary>The answer to <c>joinRoom</c>.</summary>
public sealed record JoinRoomResult : ResultWithChatRoom;

/// <summary>The answer to <c>queryRoomMembers</c>.</summary>
public sealed record QueryRoomMembersResult : ProtocolResult
{
    /// <summary>The members' UserIds.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}
