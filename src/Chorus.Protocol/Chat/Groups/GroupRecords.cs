using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Creates a group (op <c>createGroup</c>); answered with <see cref="CreateGroupResult"/>.</summary>
public sealed record CreateGroupRequest : ProtocolRequest
{
    /// <summary>Creates a <c>createGroup</c> request.</summary>
    public CreateGroupRequest() : base(Ops.CreateGroup) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The group name (at most 64 bytes).</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
    /// <summary>The members besides the creator (each a valid UserId).</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Joins a group (op <c>joinGroup</c>); answered with <see cref="JoinGroupResult"/>.</summary>
public sealed record JoinGroupRequest : ProtocolRequest
{
    /// <summary>Creates a <c>joinGroup</c> request.</summary>
    public JoinGroupRequest() : base(Ops.JoinGroup) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses a list holding an invalid UserId (6000001), as it checks the members of every group op.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Leaves a group (op <c>leaveGroup</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record LeaveGroupRequest : ProtocolRequest
{
    /// <summary>Creates a <c>leaveGroup</c> request.</summary>
    public LeaveGroupRequest() : base(Ops.LeaveGroup) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses a list holding an invalid UserId (6000001), as it checks the members of every group op.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Dismisses a group (owner only) (op <c>dismissGroup</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record DismissGroupRequest : ProtocolRequest
{
    /// <summary>Creates a <c>dismissGroup</c> request.</summary>
    public DismissGroupRequest() : base(Ops.DismissGroup) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses a list holding an invalid UserId (6000001), as it checks the members of every group op.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Invites users into a group (op <c>inviteGroupMembers</c>); answered with <see cref="InviteGroupMembersResult"/>.</summary>
public sealed record InviteGroupMembersRequest : ProtocolRequest
{
    /// <summary>Creates a <c>inviteGroupMembers</c> request.</summary>
    public InviteGroupMembersRequest() : base(Ops.InviteGroupMembers) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The users to invite.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Kicks users out of a group (owner only) (op <c>kickGroupMembers</c>); answered with <see cref="EmptyResult"/>.</summary>
public sealed record KickGroupMembersRequest : ProtocolRequest
{
    /// <summary>Creates a <c>kickGroupMembers</c> request.</summary>
    public KickGroupMembersRequest() : base(Ops.KickGroupMembers) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The users to kick.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Reads a group's information (members only) (op <c>queryGroupInfo</c>); answered with <see cref="QueryGroupInfoResult"/>.</summary>
public sealed record QueryGroupInfoRequest : ProtocolRequest
{
    /// <summary>Creates a <c>queryGroupInfo</c> request.</summary>
    public QueryGroupInfoRequest() : base(Ops.QueryGroupInfo) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses a list holding an invalid UserId (6000001), as it checks the members of every group op.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Lists a group's members (members only) (op <c>queryGroupMembers</c>); answered with <see cref="QueryGroupMembersResult"/>.</summary>
public sealed record QueryGroupMembersRequest : ProtocolRequest
{
    /// <summary>Creates a <c>queryGroupMembers</c> request.</summary>
    public QueryGroupMembersRequest() : base(Ops.QueryGroupMembers) { }

    /// <summary>The group ID (1-32 bytes of letters, digits and ZIM's punctuation).</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>Not used by this op; the server still refuses a list holding an invalid UserId (6000001), as it checks the members of every group op.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>A result carrying a group's information: the answers to <c>createGroup</c>, <c>joinGroup</c>, <c>inviteGroupMembers</c> and <c>queryGroupInfo</c>.</summary>
public abstract record ResultWithGroup : ProtocolResult
{
    /// <summary>The group (absent when it is gone).</summary>
    [JsonPropertyName("group")] public WireGroup? Group { get; set; }
}

/// <summary>The answer to <c>createGroup</c>.</summary>
public sealed record CreateGroupResult : ResultWithGroup;

/// <summary>The answer to <c>joinGroup</c>.</summary>
public sealed record JoinGroupResult : ResultWithGroup;

/// <summary>The answer to <c>inviteGroupMembers</c>.</summary>
public sealed record InviteGroupMembersResult : ResultWithGroup;

/// <summary>The answer to <c>queryGroupInfo</c>.</summary>
public sealed record QueryGroupInfoResult : ResultWithGroup;

/// <summary>The answer to <c>queryGroupMembers</c>.</summary>
public sealed record QueryGroupMembersResult : ProtocolResult
{
    /// <summary>The members' UserIds.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}

/// <summary>Group membership changed (event <c>groupMemberChanged</c>).</summary>
public sealed record GroupMemberChangedEvent : ProtocolEvent
{
    /// <summary>Creates a <c>groupMemberChanged</c> event.</summary>
    public GroupMemberChangedEvent() : base(Ops.GroupMemberChanged) { }

    /// <summary><c>add</c>, <c>delete</c> or <c>dismiss</c>.</summary>
    [JsonPropertyName("updateType")] public string? UpdateType { get; set; }
    /// <summary>The conversation type (always <see cref="ConversationType.Group"/>).</summary>
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    /// <summary>The group ID.</summary>
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    /// <summary>The users added or removed.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
}
