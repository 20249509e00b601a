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

    /// <summary>Handles a group op from the logged-in <paramref name="user"/>.</summary>
    public async Task<Frame> HandleAsync(IClientConnection connection, string user, Frame request, CancellationToken cancellationToken)
    {
        uint app = connection.AppId;
        string groupId = request.ConvId ?? "";
        var members = request.Members ?? [];
        if (ChatValidator.Group(groupId, members) is { } invalid) return ChatReply.Error(request, invalid);

        if (request.Op == Ops.CreateGroup)
        {
            string name = request.Name ?? "";
            if (ChatValidator.GroupName(name) is { } badName) return ChatReply.Error(request, badName);
            var created = await _store.CreateGroupAsync(app, groupId, name, user, members, _options.ChatMaxGroupMembers, _options.ChatMaxGroupsPerUser,
                _options.ChatGroupCreatesPerUserPerHour, cancellationToken);
            if (created == GroupChange.OwnerLimit) ChatLog.CapReached(_logger, app, user, request.Op ?? "", _options.ChatMaxGroupsPerUser);
            if (created == GroupChange.CreateRateLimit) ChatLog.CapReached(_logger, app, user, request.Op ?? "", _options.ChatGroupCreatesPerUserPerHour);
            if (created != GroupChange.Done) return ChatReply.Error(request, GroupError(created));
            await NotifyMembersAsync(app, groupId, "add", [user, .. members], cancellationToken);
            return await GroupInfoResultAsync(request, app, groupId, cancellationToken);
        }

        // One read: the group and the caller's membership, checked by every operation below as it runs.
        var access = await _store.GetGroupAccessAsync(app, groupId, user, cancellationToken);
        if (access.Group is not { } group) return ChatReply.Error(request, ChatError.GroupMissing);
        bool isMember = access.IsMember, isOwner = isMember && group.OwnerUserId == user;
        if (!isMember && request.Op != Ops.JoinGroup) ChatLog.AccessRefused(_logger, app, user, request.Op ?? "", ConversationType.Group, groupId);
        switch (request.Op)
        {
            case Ops.JoinGroup:
            {
                // Groups are open to join, except for a user the owner kicked: only a member's invitation brings it back.
                if (!isMember && access.WasKicked)
                {
                    ChatLog.AccessRefused(_logger, app, user, request.Op ?? "", ConversationType.Group, groupId);
                    return ChatReply.Error(request, ChatErrorCodes.NoPermission, "removed from this group by its owner; ask a member to invite you");
                }
                // A member's join changes nothing: writing it again could undo a kick committed since the read above.
                if (isMember) return GroupInfo(request, group);
                var r = await _store.AddGroupMembersAsync(app, groupId, [user], _options.ChatMaxGroupMembers, cancellationToken);
                if (r != GroupChange.Done) return ChatReply.Error(request, GroupError(r));
                await NotifyMembersAsync(app, groupId, "add", [user], cancellationToken);
                return await GroupInfoResultAsync(request, app, groupId, cancellationToken);
            }
            case Ops.LeaveGroup:
                if (!isMember) return ChatReply.Error(request, ChatError.NotGroupMember);
                await NotifyMembersAsync(app, groupId, "delete", [user], cancellationToken);
                await _store.RemoveGroupMembersAsync(app, groupId, [user], cancellationToken);
                return ChatReply.Ok(request);
            case Ops.DismissGroup:
                if (!isOwner) return Refuse(request, app, user, groupId, "only the owner may dismiss the group");
                await NotifyMembersAsync(app, groupId, "dismiss", [], cancellationToken);
                await _store.DismissGroupAsync(app, groupId, cancellationToken);
                return ChatReply.Ok(request);
            case Ops.InviteGroupMembers:
            {
                if (!isMember) return ChatReply.Error(request, ChatErrorCodes.NoPermission, "only members may invite");
                if (ChatValidator.MembersToInvite(members) is { } none) return ChatReply.Error(request, none);
                var before = (await _store.GetGroupMembersAsync(app, groupId, cancellationToken)).ToHashSet(StringComparer.Ordinal);
                var r = await _store.AddGroupMembersAsync(app, groupId, members, _options.ChatMaxGroupMembers, cancellationToken);
                if (r != GroupChange.Done) return ChatReply.Error(request, GroupError(r));
                await NotifyMembersAsync(app, groupId, "add", [.. members.Where(m => !before.Contains(m)).Distinct()], cancellationToken);
                return await GroupInfoResultAsync(request, app, groupId, cancellationToken);
            }
            case Ops.KickGroupMembers:
                if (!isOwner) return Refuse(request, app, user, groupId, "only the owner may kick members");
                if (ChatValidator.MembersToKick(members, user) is { } badKick) return ChatReply.Error(request, badKick);
            {
                // Only the users actually removed are told (and with them the members); naming non-members changes nothing.
                var removed = await _store.KickGroupMembersAsync(app, groupId, members, cancellationToken);
                if (removed is null) return ChatReply.Error(request, ChatError.GroupMissing);
                if (removed.Count > 0) await NotifyMembersAsync(app, groupId, "delete", [.. removed], cancellationToken);
                return ChatReply.Ok(request);
            }
            case Ops.QueryGroupMembers:
            {
                if (!isMember) return ChatReply.Error(request, ChatError.NotGroupMember);
                var result = ChatReply.Ok(request);
                result.Members = [.. await _store.GetGroupMembersAsync(app, groupId, cancellationToken)];
                return result;
            }
            default:
            {
                // Members only, as ZIM's group-info guide requires joining first (zegocloud.com/docs/zim-*/guides/group/group-info);
                // anyone may still join an open group, whose answer carries the info.
                if (!isMember) return ChatReply.Error(request, ChatError.NotGroupMember);
                return GroupInfo(request, group);
            }
        }
    }

    private async Task<Frame> GroupInfoResultAsync(Frame request, uint app, string groupId, CancellationToken cancellationToken)
    {
        var g = await _store.GetGroupAsync(app, groupId, cancellationToken);
        var result = ChatReply.Ok(request);
        if (g is not null) result.Group = ToWire(g);
        return result;
    }

    private static WireGroup ToWire(StoredGroup g) =>
        new() { GroupId = g.GroupId, GroupName = g.Name, OwnerUserId = g.OwnerUserId, CreateTime = g.CreateTime, MemberCount = g.MemberCount };

    private async Task NotifyMembersAsync(uint app, string groupId, string updateType, string[] changed, CancellationToken cancellationToken)
    {
        var everyone = (await _store.GetGroupMembersAsync(app, groupId, cancellationToken)).Union(changed, StringComparer.Ordinal).ToList();
        var bytes = EncodedFrame.From(new Frame { Op = Ops.GroupMemberChanged, ConvId = groupId, ConvType = ConversationType.Group, UpdateType = updateType, Members = changed });
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

    private static Frame GroupInfo(Frame request, StoredGroup group)
    {
        var result = ChatReply.Ok(request);
        result.Group = ToWire(group);
        return result;
    }

    /// <summary>A member's refusal for lack of the owner's right: 6000541, logged like every access refusal.</summary>
    private Frame Refuse(Frame request, uint app, string user, string groupId, string message)
    {
        ChatLog.AccessRefused(_logger, app, user, request.Op ?? "", ConversationType.Group, groupId);
        return ChatReply.Error(request, ChatErrorCodes.NoPermission, message);
    }
}
