using Chorus.Protocol;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Chat-room requests (not the audio/video rooms of <c>Rooms/</c>): create, enter, join, leave, list members, checked
/// and answered here, run by the <see cref="IChatRoomDirectory"/> (this node's memory, or shared by a cluster): the caps
/// on rooms per user and per app; members whose connection went are kept for a grace period, then removed.
/// </summary>
public sealed class ChatRooms
{
    private readonly IChatRoomDirectory _rooms;
    private readonly ChatOptions _options;
    private readonly ILogger<ChatRooms> _logger;

    /// <summary>Creates the service.</summary>
    public ChatRooms(IChatRoomDirectory rooms, IOptions<ChatOptions> options, ILogger<ChatRooms> logger)
    {
        _rooms = rooms;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The directory the rooms are kept in.</summary>
    public IChatRoomDirectory Directory => _rooms;

    /// <summary>
    /// Puts <paramref name="user"/> into a room (<c>createRoom</c>, <c>enterRoom</c>, <c>joinRoom</c>, as <paramref name="how"/>
    /// says); the result carries the room's name, member count and next sequence.
    /// </summary>
    public async ValueTask<TResult> EnterAsync<TResult>(ChatConnectionState login, string user, ProtocolRequest request, ChatRoomEntry how, string? convId, string? roomName)
        where TResult : ResultWithChatRoom, new()
    {
        uint appId = login.Connection.AppId;
        string roomId = convId ?? "";
        string name = roomName ?? "";
        if (ChatValidator.Room(roomId, name) is { } invalid) return ChatReply.Error<TResult>(request, invalid);
        var entered = await _rooms.EnterAsync(login, user, how, roomId, name);
        if (entered.Error is { } error)
        {
            if (error.Code == ChatErrorCodes.JoinedRoomCountLimit) ChatLog.CapReached(_logger, appId, user, request.Op, _options.ChatMaxRoomsPerUser);
            if (error.Code == ChatErrorCodes.RoomCountLimit) ChatLog.CapReached(_logger, appId, user, request.Op, _options.ChatMaxRoomsPerApp);
            return ChatReply.Error<TResult>(request, error);
        }
        var room = entered.Value!;
        var result = ChatReply.Ok<TResult>(request);
        result.Name = room.Name;
        result.Count = room.Count;
        result.NextSeq = room.CurrentSeq;
        return result;
    }

    /// <summary><paramref name="user"/> leaves a room (<c>leaveRoom</c>).</summary>
    public async ValueTask<EmptyResult> LeaveAsync(ChatConnectionState login, string user, LeaveRoomRequest request)
    {
        uint appId = login.Connection.AppId;
        string roomId = request.ConvId ?? "";
        if (ChatValidator.Room(roomId, request.Name ?? "") is { } invalid) return ChatReply.Error<EmptyResult>(request, invalid);
        if (await _rooms.LeaveAsync(appId, user, roomId) is { } error) return Refused<EmptyResult>(request, appId, user, roomId, error);
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>The members of a room <paramref name="user"/> is in (<c>queryRoomMembers</c>).</summary>
    public async ValueTask<QueryRoomMembersResult> MembersAsync(ChatConnectionState login, string user, QueryRoomMembersRequest request)
    {
        uint appId = login.Connection.AppId;
        string roomId = request.ConvId ?? "";
        if (ChatValidator.Room(roomId, request.Name ?? "") is { } invalid) return ChatReply.Error<QueryRoomMembersResult>(request, invalid);
        var members = await _rooms.MembersAsync(appId, user, roomId);
        if (members.Error is { } error) return Refused<QueryRoomMembersResult>(request, appId, user, roomId, error);
        var result = ChatReply.Ok<QueryRoomMembersResult>(request);
        result.Members = members.Value;
        return result;
    }

    /// <summary><paramref name="user"/>'s chat <paramref name="login"/> ended: its room memberships enter the grace period.</summary>
    public void OnDisconnected(ChatConnectionState login, string user) => _rooms.OnLoginEnded(login, user);

    /// <summary>
    /// <paramref name="user"/> logged in again over <paramref name="to"/>, which logged out <paramref name="from"/>: the
    /// memberships held over <paramref name="from"/> move to <paramref name="to"/> (the user is still in those rooms).
    /// </summary>
    public void MoveMemberships(uint appId, string user, ChatConnectionState from, ChatConnectionState to) => _rooms.OnLoginReplaced(appId, user, from, to);

    /// <summary>Periodic work: members disconnected for <see cref="ChatOptions.ChatRoomMemberGracePeriod"/> are removed (an emptied room closes).</summary>
    public void RemoveMembersPastGrace() => _rooms.RunMaintenance();

    private TResult Refused<TResult>(ProtocolRequest request, uint app, string user, string roomId, ChatError error) where TResult : ProtocolResult, new()
    {
        if (error.Code == ChatErrorCodes.NotInRoom) ChatLog.AccessRefused(_logger, app, user, request.Op, ConversationType.Room, roomId);
        return ChatReply.Error<TResult>(request, error);
    }
}
