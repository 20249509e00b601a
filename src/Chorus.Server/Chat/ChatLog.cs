using Chorus.Protocol;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>The log events of chat (event IDs 5002-5004 are stable; docs/security.md lists them; refused chat logins are logged by the token check, 2201).</summary>
internal static partial class ChatLog
{

    [LoggerMessage(5003, LogLevel.Information, "App {AppId}: {Op} from {UserId} refused: no access to {Type} {ConversationId}")]
    public static partial void AccessRefused(ILogger logger, uint appId, string userId, string op, ConversationType type, string conversationId);

    [LoggerMessage(5004, LogLevel.Warning, "App {AppId}: {Op} from {UserId} refused: a creation cap ({Cap}) is reached")]
    public static partial void CapReached(ILogger logger, uint appId, string userId, string op, int cap);

    [LoggerMessage(5002, LogLevel.Error, "Chat {Op} failed in the store: {Reason}")]
    public static partial void StoreFailed(ILogger logger, string op, string reason);
}
