using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Protocol;
using Chorus.Server.Chat;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.ServerApi;

/// <summary>
/// The chat actions of the server API (ZIM's): <c>SendPeerMessage</c>, <c>SendGroupMessage</c>, <c>SendRoomMessage</c>
/// and <c>QueryUserOnlineState</c>. Their results are top-level fields of the answer, beside Code, Message and RequestId.
/// </summary>
public sealed partial class ChatServerApi(ChatSessions sessions, ChatDelivery delivery, ChatValidator validator, ILogger<ChatServerApi> logger)
{
    /// <summary>The store failed (ZIM's "request DB failed"); nothing of the failed write is stored.</summary>
    public const int StoreFailed = 105001;
    /// <summary>The message of <see cref="StoreFailed"/>.</summary>
    public const string StoreFailedMessage = "the server could not store the message; retry with the same LocalMessageId";

    /// <summary>Bad parameter.</summary>
    public const int BadParameter = 660000002;
    /// <summary>Too many users.</summary>
    public const int TooManyUsers = 660000011;
    /// <summary>The room is missing.</summary>
    public const int RoomMissing = 660300001;
    /// <summary>Over the app's rate limit.</summary>
    public const int AppRateLimited = 660300005;
    /// <summary>Room messages cannot ask for receipts.</summary>
    public const int RoomNoReceipts = 660300013;
    /// <summary>The message is too big.</summary>
    public const int MessageTooBig = 660400001;
    /// <summary>The group is missing.</summary>
    public const int GroupMissing = 660600001;

    /// <summary>The action names served here.</summary>
    public static readonly IReadOnlySet<string> Actions = new HashSet<string>(StringComparer.Ordinal) { "SendPeerMessage", "SendGroupMessage", "SendRoomMessage", "QueryUserOnlineState" };

    /// <summary>Runs an action: (code, message, top-level result fields). A store failure is answered with
    /// <see cref="StoreFailed"/> (recipients stored before it keep their message: a retry with the same LocalMessageId
    /// does not send it to them twice).</summary>
    public async Task<(int Code, string Message, JsonObject? Fields)> HandleAsync(string action, uint appId, ServerApiParameters p, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(action, appId, p, cancellationToken);
        }
        catch (ChatStoreException ex)
        {
            LogStoreFailed(logger, action, appId, ex.Kind, ex.Message);
            return (StoreFailed, StoreFailedMessage, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "server API {Action} for app {AppId}: the chat store failed ({Kind}): {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string action, uint appId, ChatStoreFailure kind, string reason);

    private async Task<(int Code, string Message, JsonObject? Fields)> RunAsync(string action, uint appId, ServerApiParameters p, CancellationToken cancellationToken)
    {
        if (action == "QueryUserOnlineState")
        {
            var users = p.GetArray("UserId");
            if (users.Count == 0 || users.Any(u => RoomLimits.ValidateUserId(u) != 0)) return (BadParameter, "UserId[] must hold 1-100 UserIds", null);
            if (users.Count > 100) return (TooManyUsers, "UserId[] holds more than 100 users", null);
            var result = new JsonArray();
            foreach (var u in users) result.Add(new JsonObject { ["UserId"] = u, ["Status"] = await sessions.IsOnlineAsync(appId, u) ? "Online" : "Offline" });
            return (0, "success", new JsonObject { ["Result"] = result });
        }

        string from = p.Get("FromUserId") ?? "";
        if (RoomLimits.ValidateUserId(from) != 0) return (BadParameter, "FromUserId must be a UserId of 1-64 bytes", null);
        var (message, problem) = ReadMessage(p);
        if (message is null) return (BadParameter, problem!, null);

        if (action == "SendPeerMessage")
        {
            var to = p.GetArray("ToUserId");
            if (to.Count == 0) return (BadParameter, "ToUserId[] is empty", null);
            if (to.Count > 100) return (TooManyUsers, "ToUserId[] holds more than 100 users", null);
            if (validator.Message(message, ConversationType.Peer) is { } bad) return (ToServerApiCode(bad), bad.Message, null);
            var errors = new JsonArray();
            var successes = new JsonArray();
            foreach (var user in to.Distinct(StringComparer.Ordinal))
            {
                if (RoomLimits.ValidateUserId(user) != 0 || user == from)
                {
                    errors.Add(new JsonObject { ["UserId"] = user, ["SubCode"] = BadParameter });
                    continue;
                }
                // The same LocalMessageId serves every recipient: retries are deduplicated per (app, sender, conversation, LocalMessageId).
                var sent = await delivery.DeliverAsync(appId, from, ConversationType.Peer, user, message, cancellationToken, trusted: true);
                if (sent.Value is { } m) successes.Add(new JsonObject { ["UserId"] = user, ["MsgId"] = m.MessageId.ToString(), ["MsgSeq"] = m.ConversationSeq });
                else errors.Add(new JsonObject { ["UserId"] = user, ["SubCode"] = sent.Error!.Value.Code });
            }
            int overall = successes.Count > 0 ? 0 : BadParameter;
            return (overall, overall == 0 ? "success" : "no recipient succeeded", new JsonObject { ["ErrorList"] = errors, ["SuccList"] = successes });
        }

        bool group = action == "SendGroupMessage";
        string target = (group ? p.Get("GroupId") : p.Get("RoomId")) ?? "";
        var type = group ? ConversationType.Group : ConversationType.Room;
        if (!ChatLimits.IsValidConversationId(target, type)) return (BadParameter, group ? "GroupId is not a valid group ID" : "RoomId is not a valid room ID", null);
        if (!group && message.HasReceipt == true) return (RoomNoReceipts, "room messages have no receipts", null);
        if (validator.Message(message, type) is { } invalid) return (ToServerApiCode(invalid), invalid.Message, null);
        var delivered = await delivery.DeliverAsync(appId, from, type, target, message, cancellationToken, trusted: true);
        if (delivered.Error is { } error) return (ToServerApiCode(error), error.Message, null);
        var stored = delivered.Value!;
        return (0, "success", new JsonObject { ["MsgId"] = stored.MessageId.ToString(), ["MsgSeq"] = stored.ConversationSeq });
    }

    /// <summary>The server API's code for a chat refusal (ZIM's server API numbering).</summary>
    private static int ToServerApiCode(ChatError error) => error switch
    {
        { Kind: ChatErrorKind.TooLarge } => MessageTooBig,
        { Code: ChatErrorCodes.GroupMissing } => GroupMissing,
        { Code: ChatErrorCodes.RoomMissing } => RoomMissing,
        _ => BadParameter,
    };

    private static (WireChatMessage? Message, string? Problem) ReadMessage(ServerApiParameters p)
    {
        if (!int.TryParse(p.Get("MessageType") ?? "1", out int type)) return (null, "MessageType must be a number");
        string? bodyJson = p.Get("MessageBody");
        string? text = null, extended = null;
        bool hasReceipt = false, isBase64 = false;
        if (bodyJson is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(bodyJson);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return (null, "MessageBody must be an object");
                if (root.TryGetProperty("Message", out var m) && m.ValueKind == JsonValueKind.String) text = m.GetString();
                if (root.TryGetProperty("ExtendedData", out var e) && e.ValueKind == JsonValueKind.String) extended = e.GetString();
                if (root.TryGetProperty("HasReceipt", out var r)) hasReceipt = r.ValueKind == JsonValueKind.True || (r.ValueKind == JsonValueKind.Number && r.GetInt32() == 1);
                if (root.TryGetProperty("IsBase64", out var b)) isBase64 = b.ValueKind == JsonValueKind.True || (b.ValueKind == JsonValueKind.Number && b.GetInt32() == 1);
            }
            catch (JsonException) { return (null, "MessageBody is not valid JSON"); }
        }
        if (string.IsNullOrEmpty(text)) return (null, "MessageBody.Message is empty");
        var message = new WireChatMessage
        {
            Type = (ChatMessageType)type, ExtendedData = extended, HasReceipt = hasReceipt ? true : null,
            Priority = int.TryParse(p.Get("Priority"), out int pr) ? pr : 2, SearchedContent = p.Get("SearchedContent"),
            SubType = type == (int)ChatMessageType.Custom ? (int.TryParse(p.Get("SubMsgType"), out int st) ? st : 0) : null,
            LocalMessageId = long.TryParse(p.Get("LocalMessageId"), out long lid) ? lid : 0,
        };
        if (message.Type == ChatMessageType.Command)
        {
            if (isBase64) message.Data = text;
            else message.Data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));
        }
        else if (isBase64)
        {
            try { message.Text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text)); }
            catch (FormatException) { return (null, "MessageBody.Message is not Base64"); }
        }
        else message.Text = text;
        return (message, null);
    }
}
