using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>
/// Settings of chat: message size and rate, group and chat-room sizes, room history, creation caps (flat keys under
/// <c>Chorus</c>, every one named <c>Chorus:Chat...</c>).
/// </summary>
public sealed class ChatOptions
{
    /// <summary>Chat: largest text or custom message in bytes. Default 2048; at most 32768.</summary>
    public int ChatMaxTextBytes { get; set; } = Protocol.ChatLimits.DefaultMaxTextBytes;
    /// <summary>Chat: messages a user may send per second (barrage excepted). Default 10.</summary>
    public int ChatSendsPerSecond { get; set; } = 10;
    /// <summary>Chat: most members of a group. Default 500.</summary>
    public int ChatMaxGroupMembers { get; set; } = 500;
    /// <summary>Chat: most members of a chat room. Default 10000.</summary>
    public int ChatMaxRoomMembers { get; set; } = 10_000;
    /// <summary>Chat: room history kept in memory: the last N messages. Default 500.</summary>
    public int ChatRoomHistoryCount { get; set; } = 500;
    /// <summary>Chat: room history kept in memory: messages younger than this. Default 3 hours.</summary>
    public TimeSpan ChatRoomHistoryAge { get; set; } = TimeSpan.FromHours(3);
    /// <summary>Chat: a room member whose connection is gone is removed after this long. Default 30 s.</summary>
    public TimeSpan ChatRoomMemberGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    // ---- chat creation caps (issue 9: unbounded creation) ----------------------------------------

    /// <summary>Chat: most groups one user may own at once (created and not dismissed); a createGroup beyond is refused
    /// with 6000503. Default 500.</summary>
    public int ChatMaxGroupsPerUser { get; set; } = 500;
    /// <summary>Chat: most groups one user may create in any hour, dismissed ones included (so that create-and-dismiss
    /// churn is bounded); a createGroup beyond is refused with 6000005. ZIM documents no such limit. Default 100.</summary>
    public int ChatGroupCreatesPerUserPerHour { get; set; } = 100;
    /// <summary>Chat: most chat rooms one user may be in at once; a createRoom, enterRoom or joinRoom beyond is refused
    /// with 6000325. Default 10.</summary>
    public int ChatMaxRoomsPerUser { get; set; } = 10;
    /// <summary>Chat: most chat rooms one app may have at once; a createRoom or enterRoom that would make one more is
    /// refused with 6000324. Default 10000.</summary>
    public int ChatMaxRoomsPerApp { get; set; } = 10_000;
}

/// <summary>Checks <see cref="ChatOptions"/> at start.</summary>
public sealed class ChatOptionsValidator : IValidateOptions<ChatOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ChatOptions options)
    {
        var errors = new List<string>();
        if (options.ChatMaxTextBytes < 1 || options.ChatMaxTextBytes > Protocol.ChatLimits.MaxConfigurableTextBytes)
            errors.Add("Chorus:ChatMaxTextBytes must be between 1 and 32768.");
        if (options.ChatSendsPerSecond < 1 || options.ChatMaxGroupMembers < 2 || options.ChatMaxRoomMembers < 1 || options.ChatRoomHistoryCount < 0)
            errors.Add("Chorus: chat limits must be positive (groups hold at least 2 members).");
        if (options.ChatMaxGroupsPerUser < 1 || options.ChatMaxRoomsPerUser < 1 || options.ChatMaxRoomsPerApp < 1 || options.ChatGroupCreatesPerUserPerHour < 1)
            errors.Add("Chorus: chat creation caps (ChatMaxGroupsPerUser, ChatGroupCreatesPerUserPerHour, ChatMaxRoomsPerUser, ChatMaxRoomsPerApp) must be at least 1.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
