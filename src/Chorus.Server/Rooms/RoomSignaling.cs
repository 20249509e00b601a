using System.Text;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Rooms;

/// <summary>The delivery outcome for one target of a server API custom command.</summary>
/// <param name="UserId">The target.</param>
/// <param name="Code">50003 when the user is not online in the room.</param>
public readonly record struct FailedTarget(string UserId, int Code);

/// <summary>
/// Room signaling: logins, presence and the fan-out of custom commands, broadcast and barrage messages,
/// for WebSocket clients and the server API alike. Every message is encoded once and the same bytes are
/// queued for each recipient.
/// </summary>
public sealed partial class RoomSignaling : IRoomLifetimeHost, IConnectionObserver, IPeriodicWork
{
    private readonly IRoomLifetimeManager _rooms;
    private readonly RoomOptions _options;
    private readonly AuthOptions _auth;
    private readonly TimeProvider _time;
    private readonly ILogger<RoomSignaling> _logger;
    private readonly IRoomEventsObserver[] _observers;
    private readonly TokenValidator _tokens;
    private readonly NodeIdentity _node;
    private readonly ConnectionStateMap<RoomConnectionState> _connections = new();
    private long _broadcastSequence;
    private long _nextBarrageSeq;
    private DateTimeOffset _nextOnlineCount;

    /// <summary>Creates the service.</summary>
    public RoomSignaling(IRoomLifetimeManager rooms, IOptions<RoomOptions> options, IOptions<AuthOptions> auth, TimeProvider time, IEnumerable<IRoomEventsObserver> observers, TokenValidator tokens, NodeIdentity node, ILogger<RoomSignaling> logger)
    {
        _node = node;
        _tokens = tokens;
        _observers = [.. observers];
        _rooms = rooms;
        _options = options.Value;
        _auth = auth.Value;
        _time = time;
        _logger = logger;
        // Broadcast ids grow across restarts too: the sequence starts from the clock (Unix ms x 1000), and it sits above
        // the node number in the id (docs/protocol.md, "Ids").
        _broadcastSequence = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        _nextOnlineCount = time.GetUtcNow() + _options.OnlineCountInterval;
        rooms.Attach(this);
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The room logins of a connection now, by RoomId (empty when it has none).</summary>
    public IReadOnlyDictionary<string, RoomMember> RoomsOf(IClientConnection connection) =>
        _connections.TryGet(connection, out var state) ? state.Rooms : s_noRooms;

    /// <summary>Connections the room core holds state for now (0 once every connection has closed).</summary>
    public int ConnectionCount => _connections.Count;

    private static readonly IReadOnlyDictionary<string, RoomMember> s_noRooms = new Dictionary<string, RoomMember>();

    /// <summary>Handles a client's login request. A refused token is answered after the validator's fixed delay.</summary>
    public async ValueTask<RoomReply> LoginAsync(IClientConnection session, RoomLoginRequest request)
    {
        string roomId = request.RoomId ?? "";
        string userId = request.UserId ?? "";
        string userName = request.UserName ?? userId;

        int code = RoomLimits.ValidateRoomId(roomId);
        if (code != 0) return Result(request.RoomId, code, RoomIdError(code));
        code = RoomLimits.ValidateUserId(userId);
        if (code != 0) return Result(request.RoomId, code, RoomLimits.IdErrorText(code));
        if (!RoomLimits.IsValidUserName(userName))
            return Result(request.RoomId, RoomErrorCodes.UserIdInvalid, "UserName is longer than 255 bytes");
        if (session.UserId is not null && !string.Equals(session.UserId, userId, StringComparison.Ordinal))
            return Result(request.RoomId, RoomErrorCodes.UserIdInvalid, "this connection is logged in as another user");
        var logins = _connections.GetOrAdd(session, static _ => new RoomConnectionState()).Rooms;
        if (logins.ContainsKey(roomId))
            return Result(request.RoomId, RoomErrorCodes.Success, "already logged in", roomId);
        if (logins.Count >= _options.MaxRoomsPerConnection)
            return Result(request.RoomId, RoomErrorCodes.TooManyRooms, $"a connection may be in at most {_options.MaxRoomsPerConnection} rooms");
        if (request.MaxMemberCount is < 0)
            return Result(request.RoomId, RoomErrorCodes.RoomFull, "MaxMemberCount must not be negative");

        var check = await _tokens.CheckAsync(session.AppId, session.RemoteAddress, request.Token, userId, roomId, TokenUse.RoomLogin);
        if (check.Outcome != TokenOutcome.Valid) return TokenRefusal(request.RoomId, check.Outcome, null);

        long loginTime = NowMs;
        RoomJoinResult join;
        try
        {
            join = await _rooms.JoinAsync(new RoomJoinRequest(session, roomId, userId, userName, loginTime, request.MaxMemberCount ?? 0),
            () => new Room(session.AppId, roomId, request.MaxMemberCount ?? 0,
                new SlidingWindowLimiter(_options.BroadcastPerRoomPerSecond, TimeSpan.FromSeconds(1)),
                new SlidingWindowLimiter(_options.BarragePerRoomPerSecond, TimeSpan.FromSeconds(1))),
            r =>
            {
                var m = new RoomMember(r, session, userId, userName, loginTime, request.UserStatusNotify ?? true, check.Claims!.ExpiresAt,
                    new SlidingWindowLimiter(_options.CustomCommandToOnePerSecond, TimeSpan.FromSeconds(1)),
                    new SlidingWindowLimiter(_options.CustomCommandToManyPerSecond, TimeSpan.FromSeconds(1)),
                    new SlidingWindowLimiter(_options.BroadcastPerClientPerSecond, TimeSpan.FromSeconds(1)));
                // Recorded under the room's lock, as the member is added: a kick racing this login finds it.
                logins[roomId] = m;
                return m;
            });
        }
        catch (RoomBusException ex)
        {
            Log.BusFailed(_logger, "login", ex);
            return Result(request.RoomId, RoomErrorCodes.SendFailed, BusUnavailableMessage, roomId);
        }
        var room = join.Room;
        if (join.Status == RoomJoinStatus.RoomFull)
            return Result(request.RoomId, RoomErrorCodes.RoomFull, $"the room is full ({join.MaxMemberCount} users)");
        var member = join.Member!;
        var replaced = join.Replaced;
        // The first room login binds the connection to its user (logins of one connection are handled one at a time).
        session.TryBindUser(userId);

        var info = room.Info;
        var user = member.Describe(_node.Id);
        foreach (var o in _observers)
        {
            if (join.IsNewRoom) o.OnRoomCreated(info, user);
            o.OnLogin(info, user);
        }
        // Same UserId logged in elsewhere: the old login is kicked (by its own node when it is on another one); others see
        // no leave/join.
        if (replaced is not null) OnReplaced(replaced);
        else if (!join.WasInRoom) PublishUserUpdate(room.AppId, roomId, join.Count, "add", [member.ToWire()], exceptUserId: userId);
        Log.LoggedIn(_logger, session.AppId, roomId, userId, session.Id);

        var others = new WireUser[join.Others.Count];
        for (int i = 0; i < others.Length; i++) others[i] = join.Others[i].ToWire();
        var result = Result(request.RoomId, RoomErrorCodes.Success, null, roomId);
        result.Users = others;
        result.Count = join.Count;
        return result;
    }

    /// <summary>The text of a room request refused because the cluster's bus (Redis) could not be reached (1009010).</summary>
    public const string BusUnavailableMessage = "the cluster's presence store is unreachable; retry later";

    /// <summary>A login of this node replaced by another login of its user: observers told, state removed, kicked (1002050).</summary>
    private void OnReplaced(RoomMember replaced)
    {
        long now = NowMs;
        var info = replaced.Room.Info;
        var user = replaced.Describe(_node.Id);
        foreach (var o in _observers) o.OnLogout(info, user, RoomLeaveReason.Kicked, now);
        if (_connections.TryGet(replaced.Connection, out var old)) old.Rooms.TryRemove(new KeyValuePair<string, RoomMember>(info.RoomId, replaced));
        replaced.Connection.Send(new RoomStateEvent { RoomId = info.RoomId, Reason = (int)RoomStateReason.KickOut, ErrorCode = RoomErrorCodes.KickedByOtherLogin, Error = "the same user logged into this room elsewhere" });
    }

    /// <inheritdoc />
    void IRoomLifetimeHost.OnReplacedElsewhere(RoomMember member) => OnReplaced(member);

    /// <inheritdoc />
    async ValueTask IRoomLifetimeHost.KickLocalAsync(RoomMember member, int errorCode, string reason) => await KickMemberAsync(member, errorCode, reason);

    /// <inheritdoc />
    void IRoomLifetimeHost.OnMembersSwept(RoomInfo room, IReadOnlyList<RoomMemberInfo> removed, bool roomClosed, int count)
    {
        long now = NowMs;
        foreach (var user in removed)
            foreach (var o in _observers) o.OnLogout(room, user, RoomLeaveReason.Dropped, now);
        if (roomClosed)
        {
            foreach (var o in _observers) o.OnRoomClosed(room, RoomLeaveReason.Dropped, now);
            return;
        }
        var users = new WireUser[removed.Count];
        for (int i = 0; i < users.Length; i++) users[i] = removed[i].ToWire();
        PublishUserUpdate(room.AppId, room.RoomId, count, "delete", users, exceptUserId: null);
    }

    /// <summary>Handles a client's logout request.</summary>
    public async ValueTask<RoomReply> LogoutAsync(IClientConnection session, string? roomId)
    {
        roomId ??= "";
        if (!_connections.TryGet(session, out var state) || !state.Rooms.TryRemove(roomId, out var member))
            return Result(roomId, RoomErrorCodes.NotLoggedIn, "not logged into this room", roomId);
        await LeaveAsync(member, RoomLeaveReason.Normal);
        return Result(roomId, RoomErrorCodes.Success, null, roomId);
    }

    /// <summary>Handles a token renewal for one room login (the same check, answers and limits as a login).</summary>
    public async ValueTask<RoomReply> RenewTokenAsync(IClientConnection session, RoomRenewTokenRequest request)
    {
        string roomId = request.RoomId ?? "";
        if (!_connections.TryGet(session, out var state) || !state.Rooms.TryGetValue(roomId, out var member))
            return Result(request.RoomId, RoomErrorCodes.NotLoggedIn, "not logged into this room", roomId);
        var check = await _tokens.CheckAsync(session.AppId, session.RemoteAddress, request.Token, member.UserId, roomId, TokenUse.RoomRenew);
        if (check.Outcome != TokenOutcome.Valid) return TokenRefusal(request.RoomId, check.Outcome, roomId);
        member.TokenExpiresAt = check.Claims!.ExpiresAt;
        return Result(request.RoomId, RoomErrorCodes.Success, null, roomId);
    }

    /// <summary>The one answer for each token outcome: the text never says which check failed.</summary>
    private static RoomReply TokenRefusal(string? requestRoomId, TokenOutcome outcome, string? roomId) => outcome switch
    {
        TokenOutcome.Expired => Result(requestRoomId, RoomErrorCodes.TokenExpired, TokenExpiredMessage, roomId),
        TokenOutcome.Throttled => Result(requestRoomId, RoomErrorCodes.TooManyLoginAttempts, TooManyFailedLoginsMessage, roomId),
        _ => Result(requestRoomId, RoomErrorCodes.TokenInvalid, TokenInvalidMessage, roomId),
    };

    /// <summary>The text of every 1002033 / 6000103 token refusal.</summary>
    public const string TokenInvalidMessage = TokenRefusalMessages.Invalid;
    /// <summary>The text of every 1002078 / 6000106 answer (a genuine token past its expiry).</summary>
    public const string TokenExpiredMessage = TokenRefusalMessages.Expired;
    /// <summary>The text of a login refused unchecked after too many refused tokens (1000004).</summary>
    public const string TooManyFailedLoginsMessage = TokenRefusalMessages.Throttled;

    /// <summary>Handles a client's custom command.</summary>
    public RoomReply SendCustomCommand(IClientConnection session, RoomMessageRequest request) =>
        TryGetSender(session, request.RoomId, Ops.CustomCommand, out var member, out var error) ? SendCustomCommand(member, request) : error;

    /// <summary>Handles a custom command from a member logged into the request's room.</summary>
    public RoomReply SendCustomCommand(RoomMember member, RoomMessageRequest request)
    {
        int code = RoomLimits.ValidateContent(request.Content);
        if (code != 0) return Result(request.RoomId, code, ContentError(code), request.RoomId);
        code = RoomLimits.ValidateTargets(request.ToUserIds);
        if (code != 0) return Result(request.RoomId, code, TargetError(code), request.RoomId);

        bool toOne = request.ToUserIds is { Length: 1 };
        var limiter = toOne ? member.CustomCommandToOneLimit : member.CustomCommandToManyLimit;
        if (!limiter.TryAcquire(_time.GetUtcNow()))
            return Result(request.RoomId, RoomErrorCodes.SendTooFrequent, toOne ? "custom commands to one user are limited to " + _options.CustomCommandToOnePerSecond + "/s" : "custom commands to many users are limited to " + _options.CustomCommandToManyPerSecond + "/s", request.RoomId);

        DeliverCustomCommand(member.Room.AppId, member.Room.RoomId, member.UserId, member.UserName, request.Content!, request.ToUserIds);
        return Result(request.RoomId, RoomErrorCodes.Success, null, request.RoomId);
    }

    /// <summary>Handles a client's broadcast message.</summary>
    public RoomReply SendBroadcast(IClientConnection session, RoomMessageRequest request) =>
        TryGetSender(session, request.RoomId, Ops.Broadcast, out var member, out var error) ? SendBroadcast(member, request) : error;

    /// <summary>Handles a broadcast message from a member logged into the request's room.</summary>
    public RoomReply SendBroadcast(RoomMember member, RoomMessageRequest request)
    {
        int code = RoomLimits.ValidateContent(request.Content);
        if (code != 0) return Result(request.RoomId, code, ContentError(code), request.RoomId);
        var now = _time.GetUtcNow();
        if (!member.BroadcastLimit.TryAcquire(now))
            return Result(request.RoomId, RoomErrorCodes.SendTooFrequent, $"broadcast messages are limited to {_options.BroadcastPerClientPerSecond}/s per client", request.RoomId);
        if (!member.Room.BroadcastLimit.TryAcquire(now))
            return Result(request.RoomId, RoomErrorCodes.SendTooFrequent, $"broadcast messages are limited to {_options.BroadcastPerRoomPerSecond}/s per room", request.RoomId);
        long id = DeliverBroadcast(member.Room.AppId, member.Room.RoomId, member.UserId, member.UserName, request.Content!);
        var result = Result(request.RoomId, RoomErrorCodes.Success, null, request.RoomId);
        result.MessageId = id;
        return result;
    }

    /// <summary>Handles a client's barrage message.</summary>
    public RoomReply SendBarrage(IClientConnection session, RoomMessageRequest request) =>
        TryGetSender(session, request.RoomId, Ops.Barrage, out var member, out var error) ? SendBarrage(member, request) : error;

    /// <summary>Handles a barrage message from a member logged into the request's room.</summary>
    public RoomReply SendBarrage(RoomMember member, RoomMessageRequest request)
    {
        int code = RoomLimits.ValidateContent(request.Content);
        if (code != 0) return Result(request.RoomId, code, ContentError(code), request.RoomId);
        if (!member.Room.BarrageLimit.TryAcquire(_time.GetUtcNow()))
            return Result(request.RoomId, RoomErrorCodes.SendTooFrequent, $"barrage messages are limited to {_options.BarragePerRoomPerSecond}/s per room", request.RoomId);
        string id = DeliverBarrage(member.Room.AppId, member.Room.RoomId, member.UserId, member.UserName, request.Content!);
        var result = Result(request.RoomId, RoomErrorCodes.Success, null, request.RoomId);
        result.BarrageId = id;
        return result;
    }

    /// <summary>Sets a room extra info key; every member but the setter is told.</summary>
    public ValueTask<RoomReply> SetExtraInfoAsync(IClientConnection session, RoomExtraInfoRequest request) =>
        TryGetSender(session, request.RoomId, Ops.SetExtraInfo, out var member, out var error) ? SetExtraInfoAsync(member, request) : ValueTask.FromResult(error);

    /// <summary>Sets a room extra info key for a member logged into the request's room; every member but the setter is told.</summary>
    public async ValueTask<RoomReply> SetExtraInfoAsync(RoomMember member, RoomExtraInfoRequest request)
    {
        string key = request.Key ?? "";
        string value = request.Value ?? "";
        if (RoomLimits.ExtraInfoProblem(key, value) is { } problem) return Result(request.RoomId, RoomErrorCodes.ContentTooLong, problem, request.RoomId);
        try
        {
            await _rooms.SetExtraInfoAsync(member.Room, key, value);
        }
        catch (RoomBusException ex)
        {
            Log.BusFailed(_logger, "setExtraInfo", ex);
            return Result(request.RoomId, RoomErrorCodes.SendFailed, BusUnavailableMessage, request.RoomId);
        }
        var bytes = EncodedFrame.From(new ExtraInfoEvent { RoomId = member.Room.RoomId, Key = key, Value = value, FromUserId = member.UserId, SendTime = NowMs });
        _rooms.SendToRoom(member.Room.AppId, member.Room.RoomId, bytes, Delivery.Reliable, exceptUserId: member.UserId);
        return Result(request.RoomId, RoomErrorCodes.Success, null, request.RoomId);
    }

    /// <inheritdoc />
    ValueTask IConnectionObserver.OnConnectionClosedAsync(IClientConnection connection, ConnectionEndReason reason) =>
        OnSessionClosedAsync(connection, reason switch
        {
            ConnectionEndReason.Normal => RoomLeaveReason.Normal,
            ConnectionEndReason.HeartbeatTimeout => RoomLeaveReason.HeartbeatTimeout,
            _ => RoomLeaveReason.Dropped,
        });

    /// <inheritdoc />
    ValueTask IPeriodicWork.RunAsync(DateTimeOffset now) => RunMaintenance(now);

    /// <summary>Removes every room login of a closed connection, and its room state.</summary>
    public async ValueTask OnSessionClosedAsync(IClientConnection session, RoomLeaveReason reason)
    {
        if (!_connections.TryRemove(session, out var state)) return;
        foreach (var roomId in state.Rooms.Keys.ToArray())
        {
            if (state.Rooms.TryRemove(roomId, out var member)) await LeaveAsync(member, reason);
        }
    }

    // ---- periodic work -------------------------------------------------------------------

    /// <summary>
    /// The room side of the maintenance tick (called about twice a second): token-will-expire notices, removal of
    /// logins whose token expired, and every <see cref="RoomOptions.OnlineCountInterval"/> the online counts.
    /// </summary>
    public ValueTask RunMaintenance(DateTimeOffset now)
    {
        CheckTokens(now);
        if (now < _nextOnlineCount) return ValueTask.CompletedTask;
        _nextOnlineCount = now + _options.OnlineCountInterval;
        return PublishOnlineCountsAsync();
    }

    /// <summary>
    /// Sends every room's online user count (of every node) to its members on this node (one encoding per room,
    /// unreliable). The counts of all rooms are asked for at once; with the in-process manager they are known at once.
    /// </summary>
    public async ValueTask PublishOnlineCountsAsync()
    {
        List<(Room Room, Task<int> Count)>? pending = null;
        foreach (var room in _rooms.LocalRooms)
        {
            var count = _rooms.CountAsync(room.AppId, room.RoomId);
            if (count.IsCompletedSuccessfully) SendOnlineCount(room, count.Result);
            else (pending ??= []).Add((room, count.AsTask()));
        }
        if (pending is null) return;
        foreach (var (room, count) in pending)
        {
            try
            {
                SendOnlineCount(room, await count);
            }
            catch (RoomBusException ex)
            {
                Log.BusFailed(_logger, "onlineCount", ex);
                return;
            }
        }
    }

    private void SendOnlineCount(Room room, int count)
    {
        if (count == 0 || room.Count == 0) return;
        var bytes = EncodedFrame.From(new OnlineCountEvent { RoomId = room.RoomId, Count = count });
        RoomDelivery.DeliverLocal(room.Members, bytes, Delivery.Unreliable, null, RoomAudience.Everyone);
    }

    /// <summary>Warns logins whose token expires within <see cref="AuthOptions.TokenWillExpireNotice"/> (once per token) and removes those whose token expired.</summary>
    public void CheckTokens(DateTimeOffset now)
    {
        long nowSeconds = now.ToUnixTimeSeconds();
        long notice = (long)_auth.TokenWillExpireNotice.TotalSeconds;
        foreach (var state in _connections.All)
        {
            foreach (var m in state.Rooms.Values)
            {
                long left = m.TokenExpiresAt - nowSeconds;
                if (left <= 0) Forget(ExpireTokenAsync(m), "token expiry");
                else if (left <= notice && !m.TokenWarned)
                {
                    m.TokenWarned = true;
                    m.Connection.Send(new TokenWillExpireEvent { RoomId = m.Room.RoomId, SecondsLeft = (int)left });
                }
            }
        }
    }

    // ---- server API side -------------------------------------------------------------------

    /// <summary>
    /// Sends a custom command from the app's backend. Returns the targets that are not online in the room on any node
    /// (50003), and the sender when it is listed.
    /// </summary>
    public async ValueTask<List<FailedTarget>> ServerSendCustomCommandAsync(uint appId, string roomId, string fromUserId, IReadOnlyList<string>? toUserIds, string content)
    {
        var failed = new List<FailedTarget>();
        var bytes = CustomCommandFrame(roomId, fromUserId, fromUserId, content);
        if (toUserIds is not { Count: > 0 })
        {
            _rooms.SendToRoom(appId, roomId, bytes, Delivery.Unreliable, exceptUserId: fromUserId);
            return failed;
        }
        var missing = await _rooms.SendToUsersAsync(appId, roomId, toUserIds, bytes, Delivery.Unreliable, exceptUserId: fromUserId);
        foreach (var uid in toUserIds)
            if (uid == fromUserId || missing.Contains(uid)) failed.Add(new FailedTarget(uid, ServerApiCodes.UserNotOnline));
        return failed;
    }

    /// <summary>Sends a broadcast message from the app's backend; returns its MessageId.</summary>
    public long ServerSendBroadcast(uint appId, string roomId, string userId, string userName, string content)
    {
        return DeliverBroadcast(appId, roomId, userId, userName, content);
    }

    /// <summary>Sends a barrage message from the app's backend; returns its MessageId.</summary>
    public string ServerSendBarrage(uint appId, string roomId, string userId, string userName, string content)
    {
        return DeliverBarrage(appId, roomId, userId, userName, content);
    }

    /// <summary>
    /// Kicks users out of a room (KickOut, 1002055), on whichever node they are (those on other nodes a moment later).
    /// Returns how many were in it.
    /// </summary>
    public ValueTask<int> KickAsync(uint appId, string roomId, IReadOnlyList<string> userIds, string? reason) =>
        _rooms.KickAsync(appId, roomId, userIds, RoomErrorCodes.KickedByServer, reason ?? "kicked by the server");

    /// <summary>Closes a room: every member is kicked (1002055), on every node. Returns false when the room does not exist.</summary>
    public async ValueTask<bool> CloseRoomAsync(uint appId, string roomId, string? reason) =>
        await _rooms.KickAsync(appId, roomId, null, RoomErrorCodes.KickedByServer, reason ?? "room closed by the server") > 0;

    /// <summary>Removes a member because its token expired (KickOut, 1002078).</summary>
    public ValueTask<bool> ExpireTokenAsync(RoomMember member) => KickMemberAsync(member, RoomErrorCodes.TokenExpired, "the token expired and was not renewed");

    // ---- fan-out ------------------------------------------------------------------------

    private EncodedFrame CustomCommandFrame(string roomId, string fromUserId, string fromUserName, string content) =>
        EncodedFrame.From(new CustomCommandEvent { RoomId = roomId, FromUserId = fromUserId, FromUserName = fromUserName, Content = content, SendTime = NowMs });

    private void DeliverCustomCommand(uint appId, string roomId, string fromUserId, string fromUserName, string content, IReadOnlyList<string>? toUserIds)
    {
        var bytes = CustomCommandFrame(roomId, fromUserId, fromUserName, content);
        if (toUserIds is { Count: > 0 }) Forget(_rooms.SendToUsersAsync(appId, roomId, toUserIds, bytes, Delivery.Unreliable, exceptUserId: fromUserId), "customCommand");
        else _rooms.SendToRoom(appId, roomId, bytes, Delivery.Unreliable, exceptUserId: fromUserId);
    }

    private long DeliverBroadcast(uint appId, string roomId, string fromUserId, string fromUserName, string content)
    {
        long id = _node.Compose(Interlocked.Increment(ref _broadcastSequence));
        var bytes = EncodedFrame.From(new BroadcastEvent { RoomId = roomId, FromUserId = fromUserId, FromUserName = fromUserName, Content = content, MessageId = id, SendTime = NowMs });
        _rooms.SendToRoom(appId, roomId, bytes, Delivery.Reliable, exceptUserId: fromUserId);
        return id;
    }

    private string DeliverBarrage(uint appId, string roomId, string fromUserId, string fromUserName, string content)
    {
        string id = NextBarrageId();
        var bytes = EncodedFrame.From(new BarrageEvent { RoomId = roomId, FromUserId = fromUserId, FromUserName = fromUserName, Content = content, BarrageId = id, SendTime = NowMs });
        _rooms.SendToRoom(appId, roomId, bytes, Delivery.Unreliable, exceptUserId: fromUserId);
        return id;
    }

    // "1_<Unix ms>_<sequence << 10 | node>": the last part carries the node number, so two nodes never clash.
    private string NextBarrageId() => $"1_{NowMs}_{_node.Compose(Interlocked.Increment(ref _nextBarrageSeq))}";

    private async ValueTask<bool> KickMemberAsync(RoomMember member, int errorCode, string reason)
    {
        if (!_connections.TryGet(member.Connection, out var state) || !state.Rooms.TryRemove(new KeyValuePair<string, RoomMember>(member.Room.RoomId, member))) return false;
        member.Connection.Send(new RoomStateEvent { RoomId = member.Room.RoomId, Reason = (int)RoomStateReason.KickOut, ErrorCode = errorCode, Error = reason, ExtendedData = reason });
        await LeaveAsync(member, RoomLeaveReason.Kicked);
        Log.Kicked(_logger, member.Room.AppId, member.Room.RoomId, member.UserId, errorCode);
        return true;
    }

    private async ValueTask LeaveAsync(RoomMember member, RoomLeaveReason reason)
    {
        var room = member.Room;
        var info = room.Info; // before the leave: a closed room's view may be reused by nobody, but its Seq is this life's
        RoomLeaveResult left;
        try
        {
            left = await _rooms.LeaveAsync(member);
        }
        catch (RoomBusException ex)
        {
            // The member is gone from this node; its presence entry is removed by the dead-node sweep if this node's
            // liveness lapses, or stays until the user logs in again (which replaces it).
            Log.BusFailed(_logger, "leave", ex);
            return;
        }
        if (!left.Left) return;
        long now = NowMs;
        var user = member.Describe(_node.Id);
        foreach (var o in _observers) o.OnLogout(info, user, reason, now);
        if (left.RoomClosed)
        {
            foreach (var o in _observers) o.OnRoomClosed(info, reason, now);
        }
        else PublishUserUpdate(room.AppId, room.RoomId, left.Count, "delete", [member.ToWire()], exceptUserId: null);
        Log.LoggedOut(_logger, room.AppId, room.RoomId, member.UserId, member.Connection.Id);
    }

    private void PublishUserUpdate(uint appId, string roomId, int count, string updateType, WireUser[] users, string? exceptUserId)
    {
        if (count > RoomLimits.MaxUserUpdateRoomSize) return;
        var bytes = EncodedFrame.From(new UserUpdateEvent { RoomId = roomId, UpdateType = updateType, Users = users });
        _rooms.SendToRoom(appId, roomId, bytes, Delivery.Reliable, exceptUserId, RoomAudience.StatusSubscribers);
    }

    /// <summary>Lets work that needs no answer run on; a failure of the bus is logged.</summary>
    private void Forget<T>(ValueTask<T> task, string what)
    {
        if (task.IsCompletedSuccessfully) return;
        _ = ObserveAsync(task.AsTask(), what);
    }

    private async Task ObserveAsync(Task task, string what)
    {
        try
        {
            await task;
        }
        catch (Exception ex)
        {
            Log.BusFailed(_logger, what, ex);
        }
    }

    /// <summary>
    /// The check of the op table's <see cref="RoomCallers.Member"/> requirement: the connection's login to the room
    /// named by the request, or the refusal (1002001 when logged into no room, 1002007 when into others).
    /// </summary>
    public bool TryGetSender(IClientConnection session, string? requestRoomId, string op, out RoomMember member, out RoomReply error)
    {
        string roomId = requestRoomId ?? "";
        bool known = _connections.TryGet(session, out var state);
        if (known && state!.Rooms.TryGetValue(roomId, out member!)) { error = default; return true; }
        member = null!;
        Log.NotInRoom(_logger, session.AppId, roomId, session.UserId ?? "?", op);
        error = !known || state!.Rooms.IsEmpty
            ? Result(requestRoomId, RoomErrorCodes.NotLoggedIn, "not logged into any room", roomId)
            : Result(requestRoomId, RoomErrorCodes.WrongRoom, "not logged into this room", roomId);
        return false;
    }

    private static RoomReply Result(string? requestRoomId, int code, string? message, string? roomId = null) =>
        new() { Code = code, Message = message, RoomId = roomId ?? requestRoomId };

    private static string RoomIdError(int code) => code switch
    {
        RoomErrorCodes.RoomIdEmpty => "RoomId is empty",
        RoomErrorCodes.RoomIdTooLong => "RoomId is longer than 128 bytes",
        _ => "RoomId may hold only ASCII letters, digits and ~!@#$%^&*()_+=-`;',.<>/\\",
    };

    internal static string ContentError(int code) => code == RoomErrorCodes.ContentEmpty ? "content is empty" : "content is longer than 1024 bytes";

    private static string TargetError(int code) => code switch
    {
        RoomErrorCodes.TooManyTargets => "at most 10 target users",
        RoomErrorCodes.TargetUserIdEmpty => "a target UserId is empty",
        RoomErrorCodes.UserIdInvalid => "a target UserId holds a control, invisible or direction-changing character",
        _ => "a target UserId is longer than 64 bytes",
    };

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Debug, "App {AppId} room {RoomId}: {UserId} logged in (session {SessionId})")]
        public static partial void LoggedIn(ILogger logger, uint appId, string roomId, string userId, long sessionId);

        [LoggerMessage(1002, LogLevel.Debug, "App {AppId} room {RoomId}: {UserId} left (session {SessionId})")]
        public static partial void LoggedOut(ILogger logger, uint appId, string roomId, string userId, long sessionId);

        // 1003 (login refused) moved to TokenValidator (2201), which logs every refused token with its reason.

        [LoggerMessage(1005, LogLevel.Information, "App {AppId} room {RoomId}: {Op} from {UserId} refused: not logged into that room")]
        public static partial void NotInRoom(ILogger logger, uint appId, string roomId, string userId, string op);

        [LoggerMessage(1004, LogLevel.Information, "App {AppId} room {RoomId}: {UserId} kicked out ({ErrorCode})")]
        public static partial void Kicked(ILogger logger, uint appId, string roomId, string userId, int errorCode);

        [LoggerMessage(1006, LogLevel.Warning, "Room {What} failed: the cluster's bus did not answer")]
        public static partial void BusFailed(ILogger logger, string what, Exception exception);
    }
}

