namespace Chorus.Protocol;

/// <summary>Room state change reasons, as ZEGO numbers them.</summary>
public enum RoomStateReason
{
    /// <summary>Logging in.</summary>
    Logining = 0,
    /// <summary>Logged in.</summary>
    Logined = 1,
    /// <summary>Login failed.</summary>
    LoginFailed = 2,
    /// <summary>Connection lost; reconnecting.</summary>
    Reconnecting = 3,
    /// <summary>Reconnected and logged back in.</summary>
    Reconnected = 4,
    /// <summary>Could not reconnect.</summary>
    ReconnectFailed = 5,
    /// <summary>Kicked out.</summary>
    KickOut = 6,
    /// <summary>Logged out.</summary>
    Logout = 7,
    /// <summary>Logout failed.</summary>
    LogoutFailed = 8,
}
