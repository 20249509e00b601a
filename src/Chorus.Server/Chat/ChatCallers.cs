using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>A caller logged into chat: its login and the user it was logged in as when the request arrived.</summary>
/// <param name="Login">The connection's chat login.</param>
/// <param name="UserId">The chat user.</param>
public readonly record struct ChatCaller(ChatConnectionState Login, string UserId)
{
    /// <summary>The caller's connection.</summary>
    public IClientConnection Connection => Login.Connection;
}

/// <summary>What chat ops require of their caller, and how chat handlers are registered.</summary>
public static class ChatCallers
{
    /// <summary>The requirement's name.</summary>
    public const string LoggedInName = "chat login";

    /// <summary>Logged into chat over this connection (6000121 otherwise); the handler gets the login.</summary>
    /// <typeparam name="TRequest">The requests it checks.</typeparam>
    public static CallerRequirement<TRequest, ChatCaller> LoggedIn<TRequest>(ChatSessions sessions) where TRequest : ProtocolRequest => new(LoggedInName,
        "logged into chat over this connection (6000121 otherwise)",
        (IClientConnection connection, TRequest _, long? rid, out ChatCaller caller, out EncodedFrame refusal) =>
        {
            if (sessions.Find(connection) is { UserId: { } user } login)
            {
                caller = new ChatCaller(login, user);
                refusal = default;
                return true;
            }
            caller = default;
            refusal = EncodedFrame.FromPayload(ProtocolJson.ToUtf8Bytes(new EmptyResult { Rid = rid, ErrorCode = ChatErrorCodes.NotLoggedIn, Error = "chat login required" }));
            return false;
        });

    /// <summary>
    /// Registers a chat op with its request and result records: a store failure (or a store used after it was disposed)
    /// is answered with one retryable refusal (6000001) and logged, whatever the op.
    /// </summary>
    public static void AddChat<TRequest, TCaller, TResult>(this OpRegistryBuilder ops, RequestOp<TRequest, TResult> op, string feature,
        CallerRequirement<TRequest, TCaller> caller, string checks, RateClass rate, ILogger logger, Func<TCaller, TRequest, CancellationToken, Task<TResult>> handler)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new() =>
        ops.Add(op, feature, caller, checks, rate, async (c, request, cancellationToken) =>
        {
            try
            {
                return await handler(c, request, cancellationToken);
            }
            catch (Exception ex) when (ex is ChatStoreException or ObjectDisposedException)
            {
                ChatLog.StoreFailed(logger, op.Name, ex.Message);
                return ChatReply.Error<TResult>(request, ChatErrorCodes.BadParameter, "the server could not store this; retry with the same localMessageId");
            }
        });

    /// <summary>Registers a chat op whose caller must be logged into chat (<see cref="LoggedIn{TRequest}"/>); see <see cref="AddChat{TRequest, TCaller, TResult}"/>.</summary>
    public static void AddLoggedIn<TRequest, TResult>(this OpRegistryBuilder ops, RequestOp<TRequest, TResult> op, string feature, ChatSessions sessions,
        string checks, ILogger logger, Func<ChatCaller, TRequest, CancellationToken, Task<TResult>> handler)
        where TRequest : ProtocolRequest
        where TResult : ProtocolResult, new() =>
        ops.AddChat(op, feature, LoggedIn<TRequest>(sessions), checks, RateClass.Frame, logger, handler);
}
