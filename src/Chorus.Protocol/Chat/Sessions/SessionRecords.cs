using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Logs into chat (op <c>chatLogin</c>); answered with <see cref="ChatLoginResult"/>.</summary>
public sealed record ChatLoginRequest : ProtocolRequest
{
    /// <summary>Creates a <c>chatLogin</c> request.</summary>
    public ChatLoginRequest() : base(Ops.ChatLogin) { }

    /// <summary>The user (1-64 bytes).</summary>
    [JsonPropertyName("userId")] public string? UserId { get; set; }
    /// <summary>The user's display name (at most 255 bytes).</summary>
    [JsonPropertyName("userName")] public string? UserName { get; set; }
    /// <summary>The Token04 (its payload may not name a room).</summary>
    [JsonPropertyName("token")] public string? Token { get; set; }
}

/// <summary>The answer to <c>chatLogin</c>.</summary>
public sealed record ChatLoginResult : ProtocolResult
{
    /// <summary>The user's total unread count.</summary>
    [JsonPropertyName("unreadTotal")] public long? UnreadTotal { get; set; }
}

/// <summary>Logs out of chat (op <c>chatLogout</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record ChatLogoutRequest : ProtocolRequest
{
    /// <summary>Creates a <c>chatLogout</c> request.</summary>
    public ChatLogoutRequest() : base(Ops.ChatLogout) { }
}

/// <summary>Replaces the chat token (op <c>chatRenewToken</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record ChatRenewTokenRequest : ProtocolRequest
{
    /// <summary>Creates a <c>chatRenewToken</c> request.</summary>
    public ChatRenewTokenRequest() : base(Ops.ChatRenewToken) { }

    /// <summary>The new Token04.</summary>
    [JsonPropertyName("token")] public string? Token { get; set; }
}

/// <summary>Chat was logged out by the server (event <c>chatKickedOut</c>; errorCode 6000121 logged in elsewhere, 6000106 token expired, with error).</summary>
public sealed record ChatKickedOutEvent : ProtocolEvent
{
    /// <summary>Creates a <c>chatKickedOut</c> event.</summary>
    public ChatKickedOutEvent() : base(Ops.ChatKickedOut) { }
}

/// <summary>The chat token expires soon (event <c>chatTokenWillExpire</c>).</summary>
public sealed record ChatTokenWillExpireEvent : ProtocolEvent
{
    /// <summary>Creates a <c>chatTokenWillExpire</c> event.</summary>
    public ChatTokenWillExpireEvent() : base(Ops.ChatTokenWillExpire) { }

    /// <summary>Seconds left before the token expires.</summary>
    [JsonPropertyName("secondsLeft")] public int? SecondsLeft { get; set; }
}
