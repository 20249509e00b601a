using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Chorus.Protocol;

namespace Chorus.Client;

/// <summary>
/// The Chorus room signaling client (Express-style): one WebSocket to the server, any number of room
/// logins over it (up to the server's limit), custom commands, broadcast and barrage messages, and events.
/// Thread-safe. After a dropped connection it reconnects by itself with jittered backoff and logs back into
/// its rooms, raising <see cref="RoomStateChanged"/> with Reconnecting and then Reconnected (or ReconnectFailed).
/// Event handlers run on the receive loop: keep them short.
/// </summary>
public sealed class ChorusRoomClient : IAsyncDisposable
{
    private readonly ChorusClientOptions _options;
    private readonly ConcurrentDictionary<string, JoinedRoom> _rooms = new(StringComparer.Ordinal);
    private readonly ProtocolChannel _channel;

    /// <summary>Creates a client; it connects on the first login.</summary>
    public ChorusRoomClient(ChorusClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _channel = new ProtocolChannel(options, OnEvent, LogBackInAsync,
            onReconnecting: () => { foreach (var roomId in _rooms.Keys) RaiseState(roomId, RoomStateReason.Reconnecting, 0, null); },
            onGaveUp: () =>
            {
                foreach (var roomId in _rooms.Keys)
                    if (_rooms.TryRemove(roomId, out _)) RaiseState(roomId, RoomStateReason.ReconnectFailed, RoomErrorCodes.SendFailed, "could not reconnect");
            },
            wantsConnection: () => !_rooms.IsEmpty);
    }

    /// <summary>The settings in force.</summary>
    public ChorusClientOptions Options => _options;

    /// <summary>Whether the WebSocket is open now.</summary>
    public bool IsConnected => _channel.IsConnected;

    /// <summary>Rooms this client is logged into (or logging back into after a reconnect).</summary>
    public IReadOnlyCollection<string> Rooms => _rooms.Keys.ToArray();

    /// <summary>A custom command arrived.</summary>
    public event EventHandler<CustomCommandReceived>? CustomCommandReceived;
    /// <summary>Broadcast messages arrived.</summary>
    public event EventHandler<BroadcastMessagesReceived>? BroadcastMessageReceived;
    /// <summary>Barrage messages arrived.</summary>
    public event EventHandler<BarrageMessagesReceived>? BarrageMessageReceived;
    /// <summary>Users joined or left a room (when the login asked for it and the room has at most 500 users).</summary>
    public event EventHandler<RoomUserUpdated>? RoomUserUpdated;
    /// <summary>The periodic online user count of a room.</summary>
    public event EventHandler<RoomOnlineUserCountUpdated>? RoomOnlineUserCountUpdated;
    /// <summary>A room's state changed: logged in, reconnecting, reconnected, kicked out, logged out...</summary>
    public event EventHandler<RoomStateChanged>? RoomStateChanged;
    /// <summary>A room extra info key changed.</summary>
    public event EventHandler<RoomExtraInfoUpdated>? RoomExtraInfoUpdated;
    /// <summary>A room's token expires soon.</summary>
    public event EventHandler<RoomTokenWillExpire>? RoomTokenWillExpire;

    /// <summary>
    /// Logs <paramref name="user"/> into <paramref name="roomId"/> with the config's Token04. The first login of a
    /// client fixes its user: later logins over the same client must use the same UserId.
    /// </summary>
    /// <returns>ErrorCode 0 and the users already in the room, or 1002011–1002013 (RoomId), 1002005–1002007 (UserId;
    /// 1002006 also for a UserName over 255 bytes), 1002001 (too many rooms), 1002033 (token invalid), 1002078 (token
    /// expired), 1002034 (room full), 1000005 (the request is over the server's frame limit), 1009010 (no answer).</returns>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<RoomLoginResult> LoginRoomAsync(string roomId, RoomUser user, RoomConfig? config = null, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        ArgumentNullException.ThrowIfNull(user);
        config ??= new RoomConfig();
        int code = RoomLimits.ValidateRoomId(roomId);
        if (code == 0) code = RoomLimits.ValidateUserId(user.UserId);
        if (code != 0) return new RoomLoginResult(code, RoomLimits.IdErrorText(code), []);
        if (!RoomLimits.IsValidUserName(user.UserName))
            return new RoomLoginResult(RoomErrorCodes.UserIdInvalid, "UserName is longer than 255 bytes", []);

        RaiseState(roomId, RoomStateReason.Logining, 0, null);
        if (!await _channel.EnsureConnectedAsync(cancellationToken).ConfigureAwait(false))
        {
            RaiseState(roomId, RoomStateReason.LoginFailed, RoomErrorCodes.SendFailed, null);
            return new RoomLoginResult(RoomErrorCodes.SendFailed, "could not connect to the server", []);
        }

        var joined = new JoinedRoom(roomId, user, config);
        var reply = await RequestAsync(ProtocolOps.Login, LoginRequestFor(joined), cancellationToken).ConfigureAwait(false);
        if (reply.ErrorCode != 0)
        {
            RaiseState(roomId, RoomStateReason.LoginFailed, reply.ErrorCode ?? RoomErrorCodes.SendFailed, reply.Error);
            return new RoomLoginResult(reply.ErrorCode ?? RoomErrorCodes.SendFailed, reply.Error, []);
        }
        _rooms[roomId] = joined;
        var users = (reply.Users ?? []).Select(u => new RoomUser(u.UserId, u.UserName)).ToArray();
        RaiseState(roomId, RoomStateReason.Logined, 0, null);
        if (config.IsUserStatusNotify && users.Length > 0)
            Raise(RoomUserUpdated, new RoomUserUpdated(roomId, RoomUpdateType.Add, users));
        return new RoomLoginResult(0, null, users);
    }

    /// <summary>Logs out of a room. Returns 1002002 if this client is not logged into it.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<RoomOperationResult> LogoutRoomAsync(string roomId, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        if (!_rooms.TryRemove(roomId, out _)) return new RoomOperationResult(RoomErrorCodes.NotLoggedIn, "not logged into this room");
        var reply = await RequestAsync(ProtocolOps.Logout, new LogoutRequest { RoomId = roomId }, cancellationToken).ConfigureAwait(false);
        // Gone locally either way: the server drops the login when the connection goes.
        RaiseState(roomId, RoomStateReason.Logout, 0, null);
        int code = reply.ErrorCode == RoomErrorCodes.NotLoggedIn ? 0 : reply.ErrorCode ?? 0;
        return new RoomOperationResult(code, reply.Error);
    }

    /// <summary>Replaces the token of a room login (call it on <see cref="RoomTokenWillExpire"/>).</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<RoomOperationResult> RenewTokenAsync(string roomId, string token, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        if (!_rooms.TryGetValue(roomId, out var joined)) return new RoomOperationResult(RoomErrorCodes.NotLoggedIn, "not logged into this room");
        var reply = await RequestAsync(ProtocolOps.RenewToken, new RenewTokenRequest { RoomId = roomId, Token = token }, cancellationToken).ConfigureAwait(false);
        if (reply.ErrorCode == 0) joined.Config = joined.Config with { Token = token };
        return new RoomOperationResult(reply.ErrorCode ?? 0, reply.Error);
    }

    /// <summary>
    /// Sends a custom command (1–1024 UTF-8 bytes, unreliable) to the listed users, or to everyone in the room
    /// but the sender when <paramref name="toUserList"/> is null or empty (at most 10 users).
    /// </summary>
    /// <returns>ErrorCode 0, or 1009001/1009002 (content), 1009011/1009012/1009013 (targets), 1002002/1009005 (room),
    /// 1009015 (over 10/s to many or 200/s to one), 1000005 (over the server's frame limit), 1009010 (no answer).
    /// Content and targets are checked before anything is sent.</returns>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public Task<CustomCommandSendResult> SendCustomCommandAsync(string roomId, string command, IReadOnlyList<RoomUser>? toUserList, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        var targets = toUserList is { Count: > 0 } ? toUserList.Select(u => u.UserId).ToArray() : null;
        int code = CheckSend(roomId, command);
        if (code == 0) code = RoomLimits.ValidateTargets(targets);
        if (code != 0) return Task.FromResult(new CustomCommandSendResult(code, "refused by the client's checks"));
        return Send();

        async Task<CustomCommandSendResult> Send()
        {
            var reply = await RequestAsync(ProtocolOps.CustomCommand, new CustomCommandRequest { RoomId = roomId, Content = command, ToUserIds = targets }, cancellationToken).ConfigureAwait(false);
            return new CustomCommandSendResult(reply.ErrorCode ?? 0, reply.Error);
        }
    }

    /// <summary>Sends a broadcast message (1–1024 bytes; reliable for those in the room; 2/s per client, 10/s per room).
    /// Content over 1024 bytes is refused with 1009002 before anything is sent.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<BroadcastMessageSendResult> SendBroadcastMessageAsync(string roomId, string message, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        int code = CheckSend(roomId, message);
        if (code != 0) return new BroadcastMessageSendResult(code, 0, "refused by the client's checks");
        var reply = await RequestAsync(ProtocolOps.Broadcast, new BroadcastRequest { RoomId = roomId, Content = message }, cancellationToken).ConfigureAwait(false);
        return new BroadcastMessageSendResult(reply.ErrorCode ?? 0, reply.MessageId ?? 0, reply.Error);
    }

    /// <summary>Sends a barrage message (1–1024 bytes; unreliable; 20/s per room). Content over 1024 bytes is refused
    /// with 1009002 before anything is sent.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<BarrageMessageSendResult> SendBarrageMessageAsync(string roomId, string message, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        int code = CheckSend(roomId, message);
        if (code != 0) return new BarrageMessageSendResult(code, "", "refused by the client's checks");
        var reply = await RequestAsync(ProtocolOps.Barrage, new BarrageRequest { RoomId = roomId, Content = message }, cancellationToken).ConfigureAwait(false);
        return new BarrageMessageSendResult(reply.ErrorCode ?? 0, reply.BarrageId ?? "", reply.Error);
    }

    /// <summary>Sets a room extra info key (1–127 bytes) to a value (under 4096 bytes); other members are told. A key or
    /// value over its limit is refused with 1009002 before anything is sent.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<RoomOperationResult> SetRoomExtraInfoAsync(string roomId, string key, string value, CancellationToken cancellationToken = default)
    {
        _channel.ThrowIfDisposed(this);
        if (!_rooms.ContainsKey(roomId)) return new RoomOperationResult(RoomErrorCodes.NotLoggedIn, "not logged into this room");
        if (RoomLimits.ExtraInfoProblem(key, value) is { } problem) return new RoomOperationResult(RoomErrorCodes.ContentTooLong, problem);
        var reply = await RequestAsync(ProtocolOps.SetExtraInfo, new SetExtraInfoRequest { RoomId = roomId, Key = key, Value = value }, cancellationToken).ConfigureAwait(false);
        return new RoomOperationResult(reply.ErrorCode ?? 0, reply.Error);
    }

    /// <summary>Closes the connection; rooms are left. Safe to call more than once. Afterwards every method throws
    /// <see cref="ObjectDisposedException"/>; requests under way fail with 1009010.</summary>
    public async ValueTask DisposeAsync()
    {
        _rooms.Clear();
        await _channel.DisposeAsync().ConfigureAwait(false);
    }

    private Task<TResult> RequestAsync<TRequest, TResult>(RequestOp<TRequest, TResult> op, TRequest request, CancellationToken cancellationToken)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new() =>
        _channel.RequestAsync(op, request, RoomErrorCodes.SendFailed, cancellationToken);

    private void OnEvent(ProtocolEvent received)
    {
        switch (received)
        {
            case CustomCommandEvent e:
                Raise(CustomCommandReceived, new CustomCommandReceived(e.RoomId ?? "", Sender(e.FromUserId, e.FromUserName), e.Content ?? ""));
                break;
            case BroadcastEvent e:
                Raise(BroadcastMessageReceived, new BroadcastMessagesReceived(e.RoomId ?? "",
                    [new BroadcastMessageInfo(e.Content ?? "", e.MessageId ?? 0, e.SendTime ?? 0, Sender(e.FromUserId, e.FromUserName))]));
                break;
            case BarrageEvent e:
                Raise(BarrageMessageReceived, new BarrageMessagesReceived(e.RoomId ?? "",
                    [new BarrageMessageInfo(e.Content ?? "", e.BarrageId ?? "", e.SendTime ?? 0, Sender(e.FromUserId, e.FromUserName))]));
                break;
            case UserUpdateEvent e:
                Raise(RoomUserUpdated, new RoomUserUpdated(e.RoomId ?? "", e.UpdateType == "delete" ? RoomUpdateType.Delete : RoomUpdateType.Add,
                    (e.Users ?? []).Select(u => new RoomUser(u.UserId, u.UserName)).ToArray()));
                break;
            case OnlineCountEvent e:
                Raise(RoomOnlineUserCountUpdated, new RoomOnlineUserCountUpdated(e.RoomId ?? "", e.Count ?? 0));
                break;
            case RoomStateEvent e:
                if (e.RoomId is not null && e.Reason == (int)RoomStateReason.KickOut) _rooms.TryRemove(e.RoomId, out _);
                RaiseState(e.RoomId ?? "", (RoomStateReason)(e.Reason ?? 0), e.ErrorCode ?? 0, e.ExtendedData ?? e.Error);
                break;
            case TokenWillExpireEvent e:
                Raise(RoomTokenWillExpire, new RoomTokenWillExpire(e.RoomId ?? "", e.SecondsLeft ?? 0));
                break;
            case ExtraInfoEvent e:
                Raise(RoomExtraInfoUpdated, new RoomExtraInfoUpdated(e.RoomId ?? "", e.Key ?? "", e.Value ?? "", new RoomUser(e.FromUserId ?? "")));
                break;
        }
    }

    private static RoomUser Sender(string? fromUserId, string? fromUserName) => new(fromUserId ?? "", fromUserName ?? fromUserId ?? "");

    /// <summary>Logs back into every room after a reconnect; false when the connection failed on the way (try again).</summary>
    private async Task<bool> LogBackInAsync(CancellationToken cancellationToken)
    {
        foreach (var joined in _rooms.Values.ToArray())
        {
            var reply = await RequestAsync(ProtocolOps.Login, LoginRequestFor(joined), cancellationToken).ConfigureAwait(false);
            if (reply.ErrorCode == RoomErrorCodes.SendFailed && !IsConnected) return false;
            if (reply.ErrorCode == 0)
            {
                RaiseState(joined.RoomId, RoomStateReason.Reconnected, 0, null);
            }
            else if (_rooms.TryRemove(new KeyValuePair<string, JoinedRoom>(joined.RoomId, joined)))
            {
                RaiseState(joined.RoomId, RoomStateReason.ReconnectFailed, reply.ErrorCode ?? RoomErrorCodes.SendFailed, reply.Error);
            }
        }
        return true;
    }

    private int CheckSend(string roomId, string content)
    {
        int code = RoomLimits.ValidateRoomId(roomId);
        if (code != 0) return code;
        if (!_rooms.ContainsKey(roomId)) return _rooms.IsEmpty ? RoomErrorCodes.NotLoggedIn : RoomErrorCodes.WrongRoom;
        return RoomLimits.ValidateContent(content);
    }

    private static LoginRequest LoginRequestFor(JoinedRoom joined) => new()
    {
        RoomId = joined.RoomId,
        UserId = joined.User.UserId,
        UserName = joined.User.UserName,
        Token = joined.Config.Token,
        MaxMemberCount = joined.Config.MaxMemberCount,
        UserStatusNotify = joined.Config.IsUserStatusNotify,
    };

    private void RaiseState(string roomId, RoomStateReason reason, int errorCode, string? extendedData) =>
        Raise(RoomStateChanged, new RoomStateChanged(roomId, reason, errorCode, extendedData));

    private void Raise<T>(EventHandler<T>? handler, T args) => EventRaiser.Raise(this, handler, args);

    private sealed class JoinedRoom(string roomId, RoomUser user, RoomConfig config)
    {
        public string RoomId { get; } = roomId;
        public RoomUser User { get; } = user;
        public RoomConfig Config { get; set; } = config;
    }
}
