using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Chorus.Server.Rooms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Server.ServerApi;

/// <summary>
/// The HTTP server API at the server's base address, <c>GET /?Action=...</c> (or POST with a JSON body),
/// signed and answered exactly as ZEGO's: <c>{"Code":0,"Message":"success","RequestId":"...","Data":{...}}</c>.
/// </summary>
public sealed partial class ServerApiEndpoint
{
    // The answers are application/json, never HTML: only what JSON itself needs is escaped (an apostrophe stays ').
    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An action's answer: its code, message and Data.</summary>
    private readonly record struct Answer(int Code, string Message, JsonObject? Data);

    private delegate ValueTask<Answer> ActionHandler(uint appId, ServerApiParameters p);

    private readonly SignatureVerifier _verifier;
    private readonly RoomSignaling _signaling;
    private readonly IRoomLifetimeManager _rooms;
    private readonly ServerApiOptions _options;
    private readonly ILogger<ServerApiEndpoint> _logger;
    private readonly Dictionary<string, ActionHandler> _actions;
    private readonly IServerApiRateLimiter _limits;
    private readonly ChatServerApi _chat;
    private readonly NodeIdentity _node;

    /// <summary>Creates the endpoint.</summary>
    public ServerApiEndpoint(SignatureVerifier verifier, RoomSignaling signaling, IRoomLifetimeManager rooms, IOptions<ServerApiOptions> options, IServerApiRateLimiter limits, ChatServerApi chat, NodeIdentity node, ILogger<ServerApiEndpoint> logger)
    {
        _limits = limits;
        _node = node;
        _chat = chat;
        _verifier = verifier;
        _signaling = signaling;
        _rooms = rooms;
        _options = options.Value;
        _logger = logger;
        _actions = new(StringComparer.Ordinal)
        {
            ["SendCustomCommand"] = SendCustomCommand,
            ["SendBroadcastMessage"] = SendBroadcastMessage,
            ["SendBarrageMessage"] = SendBarrageMessage,
            ["DescribeUserNum"] = DescribeUserNum,
            ["DescribeUsers"] = DescribeUsers,
            ["KickoutUser"] = KickoutUser,
            ["CloseRoom"] = CloseRoom,
        };
    }

    /// <summary>The actions this endpoint serves.</summary>
    public IReadOnlyCollection<string> Actions => _actions.Keys;

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        string requestId = _node.NewRequestId();
        var (p, bodyError) = await ServerApiParameters.ReadAsync(context.Request, context.RequestAborted);
        if (p is null)
        {
            await WriteAsync(context, ServerApiCodes.BadParameter, bodyError!, requestId, null);
            return;
        }

        string? action = p.Get("Action");
        if (string.IsNullOrEmpty(action))
        {
            await WriteAsync(context, ServerApiCodes.ActionEmpty, "Action is empty", requestId, null);
            return;
        }
        bool isChat = ChatServerApi.Actions.Contains(action);
        if (!_actions.TryGetValue(action, out var handler) && !isChat)
        {
            await WriteAsync(context, ServerApiCodes.ActionUnsupported, "Action is not supported", requestId, null);
            return;
        }

        var auth = await _verifier.VerifyAsync(p.Get("AppId"), p.Get("SignatureNonce"), p.Get("Timestamp"), p.Get("SignatureVersion"), p.Get("Signature"), context.RequestAborted);
        if (auth.Code != ServerApiCodes.Success)
        {
            // Never the query string or the signature: only what the caller already knows from the answer.
            if (auth.Failure is { } failure) Log.NonceStoreFailed(_logger, action, auth.AppId, failure);
            else Log.Refused(_logger, action, auth.AppId, auth.Code, auth.Message);
            await WriteAsync(context, auth.Code, auth.Message, requestId, null);
            return;
        }

        int limit = _options.ServerApiRatePerSecond.TryGetValue(action, out int l) ? l : 10;
        if (!await _limits.TryAcquireAsync(auth.AppId, action, limit))
        {
            await WriteAsync(context, isChat ? ChatServerApi.AppRateLimited : ServerApiCodes.RateLimited, $"{action} is limited to {limit} {(limit == 1 ? "call" : "calls")} per second per AppId", requestId, null);
            return;
        }

        if (isChat)
        {
            var (chatCode, chatMessage, fields) = await _chat.HandleAsync(action, auth.AppId, p, context.RequestAborted);
            await WriteAsync(context, chatCode, chatMessage, requestId, null, fields);
            return;
        }
        Answer answer;
        try
        {
            answer = await handler!(auth.AppId, p);
        }
        catch (RoomBusException ex)
        {
            Log.BusFailed(_logger, action, auth.AppId, ex);
            answer = new Answer(ServerApiCodes.Failed, RoomSignaling.BusUnavailableMessage, null);
        }
        await WriteAsync(context, answer.Code, answer.Message, requestId, answer.Data);
    }

    private static Task WriteAsync(HttpContext context, int code, string message, string requestId, JsonObject? data, JsonObject? topLevel = null)
    {
        var body = new JsonObject
        {
            ["Code"] = code,
            ["Message"] = message,
            ["RequestId"] = requestId,
        };
        // Room signaling actions answer in Data (ZEGO Express); chat actions at the top level (ZIM).
        if (topLevel is null) body["Data"] = data ?? new JsonObject();
        else foreach (var (k, v) in topLevel.ToArray()) { topLevel.Remove(k); body[k] = v; }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString(s_json), context.RequestAborted);
    }

    // ---- actions ------------------------------------------------------------------------

    private async ValueTask<Answer> SendCustomCommand(uint appId, ServerApiParameters p)
    {
        int code; string message;
        if (!RequireRoom(p, out string roomId, out code, out message)) return new(code, message, null);
        string? from = p.Get("FromUserId");
        if (!ValidUserId(from, "FromUserId", out code, out message)) return new(code, message, null);
        var targets = p.GetArray("ToUserId");
        if (targets.Count > RoomLimits.MaxCustomCommandTargets) return Fail(ServerApiCodes.TooManyUsers, "ToUserId holds more than 10 users");
        foreach (var t in targets)
            if (!ValidUserId(t, "ToUserId", out code, out message)) return new(code, message, null);
        if (!RequireContent(p, ServerApiCodes.BadParameter, out string content, out code, out message)) return new(code, message, null);

        var failed = await _signaling.ServerSendCustomCommandAsync(appId, roomId, from!, targets, content);
        var list = new JsonArray();
        foreach (var f in failed) list.Add(new JsonObject { ["Uid"] = f.UserId, ["Code"] = f.Code });
        return Ok(new JsonObject { ["FailUsers"] = list });
    }

    private ValueTask<Answer> SendBroadcastMessage(uint appId, ServerApiParameters p)
    {
        int code; string message;
        if (!RequireMessageSender(p, out string roomId, out string userId, out string userName, out code, out message)) return ValueTask.FromResult(new Answer(code, message, null));
        if (!RequireContent(p, ServerApiCodes.BadParameter, out string content, out code, out message)) return ValueTask.FromResult(new Answer(code, message, null));
        long id = _signaling.ServerSendBroadcast(appId, roomId, userId, userName, content);
        return ValueTask.FromResult(Ok(new JsonObject { ["MessageId"] = id }));
    }

    private ValueTask<Answer> SendBarrageMessage(uint appId, ServerApiParameters p)
    {
        int code; string message;
        if (!RequireMessageSender(p, out string roomId, out string userId, out string userName, out code, out message)) return ValueTask.FromResult(new Answer(code, message, null));
        if (!RequireContent(p, ServerApiCodes.ContentEmpty, out string content, out code, out message)) return ValueTask.FromResult(new Answer(code, message, null));
        string id = _signaling.ServerSendBarrage(appId, roomId, userId, userName, content);
        return ValueTask.FromResult(Ok(new JsonObject { ["MessageId"] = id }));
    }

    private async ValueTask<Answer> DescribeUserNum(uint appId, ServerApiParameters p)
    {
        var roomIds = p.GetArray("RoomId");
        if (roomIds.Count == 0) return Fail(ServerApiCodes.BadParameter, "RoomId[] is empty");
        if (roomIds.Count > 10) return Fail(ServerApiCodes.TooManyUsers, "RoomId[] holds more than 10 rooms");
        var list = new JsonArray();
        foreach (var roomId in roomIds)
        {
            if (RoomLimits.ValidateRoomId(roomId) is not 0 and int bad) return Fail(ServerApiCodes.BadParameter, RoomLimits.IdErrorText(bad));
            list.Add(new JsonObject { ["RoomId"] = roomId, ["UserCount"] = await _rooms.CountAsync(appId, roomId), ["AdminUserCount"] = 0 });
        }
        return Ok(new JsonObject { ["UserCountList"] = list });
    }

    private async ValueTask<Answer> DescribeUsers(uint appId, ServerApiParameters p)
    {
        int code; string message;
        if (!RequireRoom(p, out string roomId, out code, out message)) return new(code, message, null);
        var userIds = p.GetArray("UserId");
        if (userIds.Count == 0) return Fail(ServerApiCodes.BadParameter, "UserId[] is empty");
        if (userIds.Count > 10) return Fail(ServerApiCodes.TooManyUsers, "UserId[] holds more than 10 users");
        foreach (var u in userIds)
            if (!ValidUserId(u, "UserId", out code, out message)) return new(code, message, null);
        if (await _rooms.CountAsync(appId, roomId) == 0) return Fail(ServerApiCodes.RoomNotFound, "room not found");
        var list = new JsonArray();
        foreach (var u in userIds)
        {
            var m = await _rooms.FindAsync(appId, roomId, u);
            list.Add(new JsonObject { ["UserId"] = u, ["Status"] = m is null ? 0 : 1, ["LoginTime"] = m?.LoginTimeMs ?? 0, ["UserRole"] = m is null ? 0 : 2 });
        }
        return Ok(new JsonObject { ["UserStatusList"] = list });
    }

    private async ValueTask<Answer> KickoutUser(uint appId, ServerApiParameters p)
    {
        int code; string message;
        if (!RequireRoom(p, out string roomId, out code, out message)) return new(code, message, null);
        var userIds = p.GetArray("UserId");
        if (userIds.Count == 0) return Fail(ServerApiCodes.BadParameter, "UserId[] is empty");
        if (userIds.Count > RoomLimits.MaxKickUsers) return Fail(ServerApiCodes.TooManyUsers, $"UserId[] holds more than {RoomLimits.MaxKickUsers} users");
        foreach (var u in userIds)
            if (!ValidUserId(u, "UserId", out code, out message)) return new(code, message, null);
        string? reason = p.Get("CustomReason");
        if (reason is not null && Encoding.UTF8.GetByteCount(reason) > RoomLimits.MaxKickReasonBytes) return Fail(ServerApiCodes.BadParameter, $"CustomReason is longer than {RoomLimits.MaxKickReasonBytes} bytes");
        await _signaling.KickAsync(appId, roomId, userIds, reason);
        return Ok(null);
    }

    private async ValueTask<Answer> CloseRoom(uint appId, ServerApiParameters p)
    {
        int code; string message;
        if (!RequireRoom(p, out string roomId, out code, out message)) return new(code, message, null);
        string? reason = p.Get("CustomReason");
        if (reason is not null && Encoding.UTF8.GetByteCount(reason) > RoomLimits.MaxKickReasonBytes) return Fail(ServerApiCodes.BadParameter, $"CustomReason is longer than {RoomLimits.MaxKickReasonBytes} bytes");
        if (!await _signaling.CloseRoomAsync(appId, roomId, reason)) return Fail(ServerApiCodes.CloseRoomNotExist, "room does not exist");
        return Ok(null);
    }

    // ---- parameter checks ------------------------------------------------------------------

    private static bool RequireRoom(ServerApiParameters p, out string roomId, out int code, out string message)
    {
        roomId = p.Get("RoomId") ?? "";
        if (RoomLimits.ValidateRoomId(roomId) is not 0 and int bad)
        {
            Fail(ServerApiCodes.BadParameter, RoomLimits.IdErrorText(bad), out code, out message);
            return false;
        }
        code = 0; message = "";
        return true;
    }

    private static bool ValidUserId(string? userId, string name, out int code, out string message)
    {
        if (RoomLimits.ValidateUserId(userId) is not 0 and int bad)
        {
            // One text per problem, naming the parameter (FromUserId, ToUserId...).
            Fail(ServerApiCodes.BadParameter, name + RoomLimits.IdErrorText(bad)["UserId".Length..], out code, out message);
            return false;
        }
        code = 0; message = "";
        return true;
    }

    private static bool RequireMessageSender(ServerApiParameters p, out string roomId, out string userId, out string userName, out int code, out string message)
    {
        userId = p.Get("UserId") ?? "";
        userName = p.Get("UserName") ?? userId;
        if (!RequireRoom(p, out roomId, out code, out message)) return false;
        if (!ValidUserId(userId, "UserId", out code, out message)) return false;
        if (!RoomLimits.IsValidUserName(userName))
        {
            Fail(ServerApiCodes.BadParameter, "UserName is longer than 255 bytes", out code, out message);
            return false;
        }
        string? category = p.Get("MessageCategory");
        if (category is not null && category != "1" && category != "2")
        {
            Fail(ServerApiCodes.BadParameter, "MessageCategory must be 1 (system) or 2 (chat)", out code, out message);
            return false;
        }
        return true;
    }

    private static bool RequireContent(ServerApiParameters p, int emptyCode, out string content, out int code, out string message)
    {
        content = p.Get("MessageContent") ?? "";
        if (content.Length == 0)
        {
            Fail(emptyCode, "MessageContent is empty", out code, out message);
            return false;
        }
        if (Encoding.UTF8.GetByteCount(content) > RoomLimits.MaxMessageBytes)
        {
            Fail(ServerApiCodes.MessageTooLong, "MessageContent is longer than 1024 bytes", out code, out message);
            return false;
        }
        code = 0; message = "";
        return true;
    }

    private static void Fail(int failCode, string failMessage, out int code, out string message)
    {
        code = failCode;
        message = failMessage;
    }

    private static Answer Fail(int code, string message) => new(code, message, null);

    private static Answer Ok(JsonObject? data) => new(ServerApiCodes.Success, "success", data ?? new JsonObject());

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Information, "Server API {Action} for app {AppId} refused: {Code} {Reason}")]
        public static partial void Refused(ILogger logger, string action, uint appId, int code, string reason);

        [LoggerMessage(3003, LogLevel.Warning, "Server API {Action} for app {AppId} failed: the cluster's bus did not answer")]
        public static partial void BusFailed(ILogger logger, string action, uint appId, Exception exception);

        [LoggerMessage(3002, LogLevel.Error, "Server API {Action} for app {AppId} not run: its SignatureNonce could not be recorded")]
        public static partial void NonceStoreFailed(ILogger logger, string action, uint appId, Exception failure);
    }
}
