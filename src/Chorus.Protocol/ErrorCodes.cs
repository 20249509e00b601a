namespace Chorus.Protocol;

/// <summary>
/// Error codes of the room signaling client (Express) that Chorus returns on the WebSocket protocol.
/// The numbers are ZEGO's documented ones unless marked Chorus.
/// </summary>
public static class RoomErrorCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>The connection is already in the maximum number of rooms.</summary>
    public const int TooManyRooms = 1002001;
    /// <summary>The user is not logged into the room the request names.</summary>
    public const int NotLoggedIn = 1002002;
    /// <summary>UserId is empty.</summary>
    public const int UserIdEmpty = 1002005;
    /// <summary>UserId (or UserName) is invalid, or differs from the user this connection logged in as.</summary>
    public const int UserIdInvalid = 1002006;
    /// <summary>UserId is longer than 64 bytes.</summary>
    public const int UserIdTooLong = 1002007;
    /// <summary>RoomId is empty.</summary>
    public const int RoomIdEmpty = 1002011;
    /// <summary>RoomId holds a character outside the allowed set.</summary>
    public const int RoomIdInvalid = 1002012;
    /// <summary>RoomId is longer than 128 bytes.</summary>
    public const int RoomIdTooLong = 1002013;
    /// <summary>The token is invalid: malformed, forged, for another app, user or room.</summary>
    public const int TokenInvalid = 1002033;
    /// <summary>The room already holds its MaxMemberCount users.</summary>
    public const int RoomFull = 1002034;
    /// <summary>Kicked out because the same UserId logged into the room elsewhere.</summary>
    public const int KickedByOtherLogin = 1002050;
    /// <summary>Kicked out by the server (server API KickoutUser or CloseRoom).</summary>
    public const int KickedByServer = 1002055;
    /// <summary>The token has expired.</summary>
    public const int TokenExpired = 1002078;
    /// <summary>Message content is empty.</summary>
    public const int ContentEmpty = 1009001;
    /// <summary>Message content is longer than 1024 bytes.</summary>
    public const int ContentTooLong = 1009002;
    /// <summary>The message names a room the sender is not in.</summary>
    public const int WrongRoom = 1009005;
    /// <summary>Sending failed (for example: not connected, or the request timed out).</summary>
    public const int SendFailed = 1009010;
    /// <summary>A target UserId is empty.</summary>
    public const int TargetUserIdEmpty = 1009011;
    /// <summary>A target UserId is longer than 64 bytes.</summary>
    public const int TargetUserIdTooLong = 1009012;
    /// <summary>Messages are sent faster than the limit allows.</summary>
    public const int SendTooFrequent = 1009015;
    /// <summary>(Chorus) The frame could not be parsed, or names an unknown operation.</summary>
    public const int MalformedFrame = 1000002;
    /// <summary>(Chorus) The connection (or its app) sends frames faster than the server allows.</summary>
    public const int TooManyRequests = 1000003;
    /// <summary>(Chorus) Too many login attempts on this connection; wait and retry.</summary>
    public const int TooManyLoginAttempts = 1000004;
    /// <summary>(Chorus) The WebSocket message is larger than the server's MaxFrameBytes (told in the hello frame); it was
    /// read, discarded and answered, and the connection stays up. The SDK refuses such a request before sending it.</summary>
    public const int FrameTooLarge = 1000005;
    /// <summary>(Chorus) Too many targets in one custom command (at most 10).</summary>
    public const int TooManyTargets = 1009013;
}

/// <summary>Return codes of the HTTP server API (ZEGO's numbering).</summary>
public static class ServerApiCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>Failed.</summary>
    public const int Failed = 1;
    /// <summary>A parameter is missing or malformed.</summary>
    public const int BadParameter = 2;
    /// <summary>Authentication failed.</summary>
    public const int AuthFailed = 3;
    /// <summary>The per-AppId rate limit of this action was exceeded.</summary>
    public const int RateLimited = 7;
    /// <summary>The room does not exist.</summary>
    public const int RoomNotExist = 104;
    /// <summary>Barrage content is empty.</summary>
    public const int ContentEmpty = 1008;
    /// <summary>The room does not exist (CloseRoom).</summary>
    public const int CloseRoomNotExist = 5024;
    /// <summary>The room was not found (DescribeUsers).</summary>
    public const int RoomNotFound = 50001;
    /// <summary>The user is not online in the room.</summary>
    public const int UserNotOnline = 50003;
    /// <summary>The user list is too long.</summary>
    public const int TooManyUsers = 50011;
    /// <summary>The message is longer than 1024 bytes.</summary>
    public const int MessageTooLong = 50012;
    /// <summary>Sending failed.</summary>
    public const int SendFailed = 50013;
    /// <summary>AppId is missing or not a uint32.</summary>
    public const int AppIdFormat = 100000001;
    /// <summary>Timestamp is missing.</summary>
    public const int TimestampEmpty = 100000002;
    /// <summary>Timestamp is not an integer.</summary>
    public const int TimestampFormat = 100000003;
    /// <summary>Timestamp is more than 10 minutes from the server's clock.</summary>
    public const int SignatureExpired = 100000004;
    /// <summary>The signature does not match, or the nonce was already used.</summary>
    public const int SignatureInvalid = 100000005;
    /// <summary>Action is missing.</summary>
    public const int ActionEmpty = 100000006;
    /// <summary>Action is not supported.</summary>
    public const int ActionUnsupported = 100000007;
    /// <summary>SignatureNonce is missing.</summary>
    public const int NonceEmpty = 100000008;
    /// <summary>Signature is missing.</summary>
    public const int SignatureEmpty = 100000009;
    /// <summary>The AppId is not configured on this server.</summary>
    public const int AppUnknown = 100000010;
    /// <summary>SignatureVersion is missing.</summary>
    public const int VersionEmpty = 100000013;
    /// <summary>SignatureVersion is not 2.0.</summary>
    public const int VersionUnsupported = 100000014;
}
