using Chorus.Protocol;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Chat rooms (not the audio/video rooms of <c>Rooms/</c>): create, enter, join, leave, list members; the caps on rooms
/// per user and per app; members whose connection went are kept for a grace period, then removed.
/// </summary>
public sealed class ChatRooms
{
    private readonly ChatRoomRegistry _rooms;
    private readonly ChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChatRooms> _logger;

    /// <summary>Creates the service.</summary>
    public ChatRooms(ChatRoomRegistry rooms, IOptions<ChatOptions> options, TimeProvider time, ILogger<ChatRooms> logger)
    {
        _rooms = rooms;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Handles <c>createRoom</c>, <c>enterRoom</c>, <c>joinRoom</c>, <c>leaveRoom</c> and <c>queryRoomMembers</c> from <paramref name="user"/>.</summary>
    public Frame Handle(ChatConnectionState login, string user, Frame request)
    {
        var connection = login.Connection;
        string roomId = request.ConvId ?? "";
        string name = request.Name ?? "";
        if (ChatValidator.Room(roomId, name) is { } invalid) return ChatReply.Error(request, invalid);
        switch (request.Op)
        {
            case Ops.CreateRoom:
            case Ops.EnterRoom:
            case Ops.JoinRoom:
            {
                while (true)
                {
                    // Creation caps: rooms per user (checked first, so that a refusal leaves no empty room behind), then rooms per app.
                    if (_rooms.Find(connection.AppId, roomId) is not { } present || !present.Members.ContainsKey(user))
                    {
                        if (_rooms.CountRoomsOf(connection.AppId, user) >= _options.ChatMaxRoomsPerUser)
                        {
                            ChatLog.CapReached(_logger, connection.AppId, user, request.Op ?? "", _options.ChatMaxRoomsPerUser);
                            return ChatReply.Error(request, ChatErrorCodes.JoinedRoomCountLimit, $"this user is in {_options.ChatMaxRoomsPerUser} chat rooms, the most allowed");
                        }
                    }
                    ChatRoom room;
                    if (request.Op == Ops.JoinRoom)
                    {
                        room = _rooms.Find(connection.AppId, roomId)!;
                        if (room is null) return ChatReply.Error(request, ChatErrorCodes.JoinRoomMissing, "no such room to join");
                    }
                    else
                    {
                        var (r, added) = _rooms.GetOrAdd(connection.AppId, roomId, () => new ChatRoom(connection.AppId, roomId, name, NowMs), _options.ChatMaxRoomsPerApp);
                        if (r is null)
                        {
                            ChatLog.CapReached(_logger, connection.AppId, user, request.Op ?? "", _options.ChatMaxRoomsPerApp);
                            return ChatReply.Error(request, ChatErrorCodes.RoomCountLimit, "the app has as many chat rooms as allowed");
                        }
                        if (!added && request.Op == Ops.CreateRoom) return ChatReply.Error(request, ChatErrorCodes.RoomExists, "the room exists already");
                        room = r;
                    }
                    lock (room.Gate)
                    {
                        if (room.IsClosed) continue;
                        // The login may have ended since the request was let in (a second login took over, the token
                        // expired): a member held by an ended login would never be swept.
                        if (!string.Equals(login.UserId, user, StringComparison.Ordinal))
                        {
                            if (room.Members.IsEmpty) // made for this entry: it must not stay behind, empty
                            {
                                room.IsClosed = true;
                                _rooms.Remove(room);
                            }
                            return ChatReply.Error(request, ChatErrorCodes.NotLoggedIn, "chat login required");
                        }
                        if (!room.Members.ContainsKey(user) && room.Members.Count >= _options.ChatMaxRoomMembers)
                            return ChatReply.Error(request, ChatErrorCodes.BadParameter, "the room is full");
                        room.Members[user] = new ChatRoomMember(user, login, 0);
                    }
                    var result = ChatReply.Ok(request);
                    result.Name = room.Name;
                    result.Count = room.Members.Count;
                    result.NextSeq = room.CurrentSeq;
                    return result;
                }
            }
            case Ops.LeaveRoom:
            {
                var room = _rooms.Find(connection.AppId, roomId);
                if (room is null) return ChatReply.Error(request, ChatError.RoomMissing);
                if (!room.Members.TryGetValue(user, out var m)) return NotInRoom(request, connection.AppId, user, roomId);
                RemoveMember(room, user, m);
                return ChatReply.Ok(request);
            }
            default:
            {
                var room = _rooms.Find(connection.AppId, roomId);
                if (room is null) return ChatReply.Error(request, ChatError.RoomMissing);
                if (!room.Members.ContainsKey(user)) return NotInRoom(request, connection.AppId, user, roomId);
                var result = ChatReply.Ok(request);
                result.Members = [.. room.Members.Keys.Order(StringComparer.Ordinal)];
                return result;
            }
        }
    }

    /// <summary><paramref name="user"/>'s chat <paramref name="login"/> ended: its room memberships enter the grace period.</summary>
    public void OnDisconnected(ChatConnectionState login, string user)
    {
        long now = NowMs;
        foreach (var room in _rooms.All)
        {
            if (room.AppId == login.Connection.AppId && room.Members.TryGetValue(user, out var m) && ReferenceEquals(m.Login, login))
                room.Members.TryUpdate(user, m with { Login = null, DisconnectedAtMs = now }, m);
        }
    }

    /// <summary>
    /// <paramref name="user"/> logged in again over <paramref name="to"/>, which logged out <paramref name="from"/>: the
    /// memberships held over <paramref name="from"/> move to <paramref name="to"/> (the user is still in those rooms).
    /// </summary>
    public void MoveMemberships(uint appId, string user, ChatConnectionState from, ChatConnectionState to)
    {
        foreach (var room in _rooms.All)
        {
            if (room.AppId == appId && room.Members.TryGetValue(user, out var m) && ReferenceEquals(m.Login, from))
                room.Members.TryUpdate(user, m with { Login = to }, m);
        }
    }

    /// <summary>Periodic work: members disconnected for <see cref="ChatOptions.ChatRoomMemberGracePeriod"/> are removed (an emptied room closes).</summary>
    public void RemoveMembersPastGrace()
    {
        long nowMs = NowMs;
        long graceMs = (long)_options.ChatRoomMemberGracePeriod.TotalMilliseconds;
        foreach (var room in _rooms.All)
        {
            foreach (var (user, m) in room.Members)
            {
                // A member still held by a login that has ended (a race with a takeover or an expiry) starts its grace now.
                if (m.Login is { } login && !string.Equals(login.UserId, user, StringComparison.Ordinal))
                    room.Members.TryUpdate(user, m with { Login = null, DisconnectedAtMs = nowMs }, m);
                else if (m.Login is null && nowMs - m.DisconnectedAtMs >= graceMs) RemoveMember(room, user, m);
            }
        }
    }

    private void RemoveMember(ChatRoom room, string user, ChatRoomMember member)
    {
        lock (room.Gate)
        {
            if (!room.Members.TryRemove(new KeyValuePair<string, ChatRoomMember>(user, member))) return;
            if (room.Members.IsEmpty)
            {
                room.IsClosed = true;
                _rooms.Remove(room);
            }
        }
    }

    private Frame NotInRoom(Frame request, uint app, string user, string roomId)
    {
        ChatLog.AccessRefused(_logger, app, user, request.Op ?? "", ConversationType.Room, roomId);
        return ChatReply.Error(request, ChatError.NotInRoom);
    }
}
