using Chorus.Protocol;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Chat;

/// <summary>
/// Groups: create (capped per owner), join, leave, dismiss (owner), invite (members), kick (owner), query info and
/// members (members); every membership change is told to the members online.
/// </summary>
public sealed class ChatGroups
{
    private readonly IChatStore _store;
    private readonly IChatPresence _users;
    private readonly ChatOptions _options;
    private readonly ILogger<ChatGroups> _logger;

    /// <summary>Creates the service.</summary>
    public ChatGroups(IChatStore store, IChatPresence users, IOptions<ChatOptions> options, ILogger<ChatGroups> logger)
    {
        _store = store;
        _users = users;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Creates a group owned by <paramref name="user"/> (<c>createGroup</c>).</summary>
    public async Task<CreateGroupResult> CreateAsync(IClientConnection connection, string user, CreateGroupRequest request, CancellationToken cancellationToken)
    {
        uint app = connection.AppId;
        string groupId = request.ConvId ?? "";
        var members = request.Members ?? [];
        if (ChatValidator.Group(groupId, members) is { } invalid) return ChatReply.Error<CreateGroupResult>(request, invalid);
        string name = request.Name ?? "";
        if (ChatValidator.GroupName(name) is { } badName) return ChatReply.Error<CreateGroupResult>(request, badName);
        var created = await _store.CreateGroupAsync(app, groupId, name, user, members, _options.ChatMaxGroupMembers, _options.ChatMaxGroupsPerUser,
            _options.ChatGroupCreatesPerUserPerHour, cancellationToken);
        if (created == GroupChange.OwnerLimit) ChatLog.CapReached(_logger, app, user, request.Op, _options.ChatMaxGroupsPerUser);
        if (created == GroupChange.CreateRateLimit) ChatLog.CapReached(_logger, app, user, request.Op, _options.ChatGroupCreatesPerUserPerHour);
        if (created != GroupChange.Done) return ChatReply.Error<CreateGroupResult>(request, GroupError(created));
        await NotifyMembersAsync(app, groupId, "add", [user, .. members], cancellationToken);
        return await GroupInfoResultAsync<CreateGroupResult>(request, app, groupId, cancellationToken);
    }

    /// <summary>Adds <paramref name="user"/> to an open group (<c>joinGroup</c>).</summary>
    public async Task<JoinGroupResult> JoinAsync(IClientConnection connection, string user, JoinGroupRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: false, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<JoinGroupResult>(request, refused);
        var (app, groupId, _, group, access, isMember, _) = call.Value!;
        // Groups are open to join, except for a user the owner kicked: only a member's invitation brings it back.
        if (!isMember && access.WasKicked)
        {
            ChatLog.AccessRefused(_logger, app, user, request.Op, ConversationType.Group, groupId);
            return ChatReply.Error<JoinGroupResult>(request, ChatErrorCodes.NoPermission, "removed from this group by its owner; ask a member to invite you");
        }
        // A member's join changes nothing: writing it again could undo a kick committed since the read above.
        if (isMember) return GroupInfo<JoinGroupResult>(request, group);
        var r = await _store.AddGroupMembersAsync(app, groupId, [user], _options.ChatMaxGroupMembers, cancellationToken);
        if (r != GroupChange.Done) return ChatReply.Error<JoinGroupResult>(request, GroupError(r));
        await NotifyMembersAsync(app, groupId, "add", [user], cancellationToken);
        return await GroupInfoResultAsync<JoinGroupResult>(request, app, groupId, cancellationToken);
    }

    /// <summary>Removes <paramref name="user"/> from a group it is a member of (<c>leaveGroup</c>).</summary>
    public async Task<EmptyResult> LeaveAsync(IClientConnection connection, string user, LeaveGroupRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: true, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<EmptyResult>(request, refused);
        var (app, groupId, _, _, _, isMember, _) = call.Value!;
        if (!isMember) return ChatReply.Error<EmptyResult>(request, ChatError.NotGroupMember);
        await NotifyMembersAsync(app, groupId, "delete", [user], cancellationToken);
        await _store.RemoveGroupMembersAsync(app, groupId, [user], cancellationToken);
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>The owner dismisses its group (<c>dismissGroup</c>).</summary>
    public async Task<EmptyResult> DismissAsync(IClientConnection connection, string user, DismissGroupRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: true, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<EmptyResult>(request, refused);
        var (app, groupId, _, _, _, _, isOwner) = call.Value!;
        if (!isOwner) return Refuse<EmptyResult>(request, app, user, groupId, "only the owner may dismiss the group");
        await NotifyMembersAsync(app, groupId, "dismiss", [], cancellationToken);
        await _store.DismissGroupAsync(app, groupId, cancellationToken);
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>A member adds users to its group (<c>inviteGroupMembers</c>).</summary>
    public async Task<InviteGroupMembersResult> InviteAsync(IClientConnection connection, string user, InviteGroupMembersRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: true, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<InviteGroupMembersResult>(request, refused);
        var (app, groupId, members, _, _, isMember, _) = call.Value!;
        if (!isMember) return ChatReply.Error<InviteGroupMembersResult>(request, ChatErrorCodes.NoPermission, "only members may invite");
        if (ChatValidator.MembersToInvite(members) is { } none) return ChatReply.Error<InviteGroupMembersResult>(request, none);
        var before = (await _store.GetGroupMembersAsync(app, groupId, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var r = await _store.AddGroupMembersAsync(app, groupId, members, _options.ChatMaxGroupMembers, cancellationToken);
        if (r != GroupChange.Done) return ChatReply.Error<InviteGroupMembersResult>(request, GroupError(r));
        await NotifyMembersAsync(app, groupId, "add", [.. members.Where(m => !before.Contains(m)).Distinct()], cancellationToken);
        return await GroupInfoResultAsync<InviteGroupMembersResult>(request, app, groupId, cancellationToken);
    }

    /// <summary>The owner removes members from its group (<c>kickGroupMembers</c>).</summary>
    public async Task<EmptyResult> KickAsync(IClientConnection connection, string user, KickGroupMembersRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: true, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<EmptyResult>(request, refused);
        var (app, groupId, members, _, _, _, isOwner) = call.Value!;
        if (!isOwner) return Refuse<EmptyResult>(request, app, user, groupId, "only the owner may kick members");
        if (ChatValidator.MembersToKick(members, user) is { } badKick) return ChatReply.Error<EmptyResult>(request, badKick);
        // Only the users actually removed are told (and with them the members); naming non-members changes nothing.
        var removed = await _store.KickGroupMembersAsync(app, groupId, members, cancellationToken);
        if (removed is null) return ChatReply.Error<EmptyResult>(request, ChatError.GroupMissing);
        if (removed.Count > 0) await NotifyMembersAsync(app, groupId, "delete", [.. removed], cancellationToken);
        return ChatReply.Ok<EmptyResult>(request);
    }

    /// <summary>A member reads its group's info (<c>queryGroupInfo</c>).</summary>
    public async Task<QueryGroupInfoResult> InfoAsync(IClientConnection connection, string user, QueryGroupInfoRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: true, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<QueryGroupInfoResult>(request, refused);
        var (_, _, _, group, _, isMember, _) = call.Value!;
        // Members only, as ZIM's group-info guide requires joining first (zegocloud.com/docs/zim-*/guides/group/group-info);
        // anyone may still join an open group, whose answer carries the info.
        if (!isMember) return ChatReply.Error<QueryGroupInfoResult>(request, ChatError.NotGroupMember);
        return GroupInfo<QueryGroupInfoResult>(request, group);
    }

    /// <summary>A member lists its group's members (<c>queryGroupMembers</c>).</summary>
    public async Task<QueryGroupMembersResult> MembersAsync(IClientConnection connection, string user, QueryGroupMembersRequest request, CancellationToken cancellationToken)
    {
        var call = await OpenAsync(connection, user, request, request.ConvId, request.Members, logNonMember: true, cancellationToken);
        if (call.Error is { } refused) return ChatReply.Error<QueryGroupMembersResult>(request, refused);
        var (app, groupId, _, _, _, isMember, _) = call.Value!;
        if (!isMember) return ChatReply.Error<QueryGroupMembersResult>(request, ChatError.NotGroupMember);
        var result = ChatReply.Ok<QueryGroupMembersResult>(request);
        result.Members = [.. await _store.GetGroupMembersAsync(app, groupId, cancellationToken)];
        return result;
    }

    /// <summary>What an op on an existing group starts from, read once.</summary>
    private sealed record GroupCall(uint App, string GroupId, string[] Members, StoredGroup Group, GroupAccess Access, bool IsMember, bool IsOwner);

    /// <summary>
    /// The prologue of every op on an existing group: the request checked, then one read (the group and the caller's
    /// membership), checked by each op as it runs. A non-member's call is logged as refused when <paramref name="logNonMember"/>.
    /// </summary>
    private async Task<ChatResult<GroupCall>> OpenAsync(IClientConnection connection, string user, ProtocolRequest request, string? convId, string[]? requestMembers,
        bool logNonMember, CancellationToken cancellationToken)
    {
        uint app = connection.AppId;
        string groupId = convId ?? "";
        var members = requestMembers ?? [];
        if (ChatValidator.Group(groupId, members) is { } invalid) return invalid;
        var access = await _store.GetGroupAccessAsync(app, groupId, user, cancellationToken);
        if (access.Group is not { } group) return ChatError.GroupMissing;
        bool isMember = access.IsMember, isOwner = isMember && group.OwnerUserId == user;
        if (!isMember && logNonMember) ChatLog.AccessRefused(_logger, app, user, request.Op, ConversationType.Group, groupId);
        return new GroupCall(app, groupId, members, group, access, isMember, isOwner);
    }

    private async Task<TResult> GroupInfoResultAsync<TResult>(ProtocolRequest request, uint app, string groupId, CancellationToken cancellationToken)
        where TResult : ResultWithGroup, new()
    {
        var g = await _store.GetGroupAsync(app, groupId, cancellationToken);
        var result = ChatReply.Ok<TResult>(request);
        if (g is not null) result.Group = ToWire(g);
        return result;
    }

    private static WireGroup ToWire(StoredGroup g) =>
        new() { GroupId = g.GroupId, GroupName = g.Name, OwnerUserId = g.OwnerUserId, CreateTime = g.CreateTime, MemberCount = g.MemberCount };

    private async Task NotifyMembersAsync(uint app, string groupId, string updateType, string[] changed, CancellationToken cancellationToken)
    {
        var everyone = (await _store.GetGroupMembersAsync(app, groupId, cancellationToken)).Union(changed, StringComparer.Ordinal).ToList();
        var bytes = ChatEvents.Encode(new GroupMemberChangedEvent { ConvId = groupId, ConvType = ConversationType.Group, UpdateType = updateType, Members = changed });
        _users.Send(app, everyone, null, bytes, Delivery.Reliable);
    }

    private static ChatError GroupError(GroupChange change) => change switch
    {
        GroupChange.Missing => ChatError.GroupMissing,
        GroupChange.Exists => new(ChatErrorCodes.GroupExists, "the group exists already"),
        GroupChange.Dismissed => new(ChatErrorCodes.GroupDismissed, "this group ID belonged to a dismissed group; use another ID"),
        GroupChange.OwnerLimit => new(ChatErrorCodes.GroupCreateFailed, "this user owns as many groups as allowed"),
        GroupChange.CreateRateLimit => new(ChatErrorCodes.RateLimitServer, "this user created as many groups in the last hour as allowed (dismissed ones count); try again later"),
        _ => new(ChatErrorCodes.GroupFull, "the group is full"),
    };

    private static TResult GroupInfo<TResult>(ProtocolRequest request, StoredGroup group) where TResult : ResultWithGroup, new()
    {
        var result = ChatReply.Ok<TResult>(request);
        result.Group = ToWire(group);
        return result;
    }

    /// <summary>A member's refusal for lack of the owner's right: 6000541, logged like every access refusal.</summary>
    private TResult Refuse<TResult>(ProtocolRequest request, uint app, string user, string groupId, string message) where TResult : ProtocolResult, new()
    {
        ChatLog.AccessRefused(_logger, app, user, request.Op, ConversationType.Group, groupId);
        return ChatReply.Error<TResult>(request, ChatErrorCodes.NoPermission, message);
    }
}
