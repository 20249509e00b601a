using Chorus.Protocol;

namespace Chorus.Server.Chat;

/// <summary>The results chat answers requests with, of any result record.</summary>
internal static class ChatReply
{
    /// <summary>A success for <paramref name="request"/>.</summary>
    public static TResult Ok<TResult>(ProtocolRequest request) where TResult : ProtocolResult, new() => new() { Rid = request.Rid, ErrorCode = 0 };

    /// <summary>A refusal of <paramref name="request"/>.</summary>
    public static TResult Error<TResult>(ProtocolRequest request, ChatError error) where TResult : ProtocolResult, new() =>
        new() { Rid = request.Rid, ErrorCode = error.Code, Error = error.Message };

    /// <summary>A refusal of <paramref name="request"/>.</summary>
    public static TResult Error<TResult>(ProtocolRequest request, int code, string message) where TResult : ProtocolResult, new() =>
        Error<TResult>(request, new ChatError(code, message));
}

/// <summary>The events chat sends, encoded once.</summary>
internal static class ChatEvents
{
    /// <summary>The wire form of <paramref name="chatEvent"/>.</summary>
    public static EncodedFrame Encode<TEvent>(TEvent chatEvent) where TEvent : ProtocolEvent => EncodedFrame.From(chatEvent);
}
