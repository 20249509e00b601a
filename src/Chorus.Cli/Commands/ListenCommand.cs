using System.CommandLine;
using System.Text.Json.Nodes;
using Chorus.Client;
using Chorus.Protocol;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus listen --url URL --app-id ID (--token T | --secret S) --room R --user U</c>: logs in and prints one
/// JSON object per line for every event. Exit codes: 0 stopped (Ctrl+C), 1 login failed, 2 bad arguments,
/// 3 kicked out or could not reconnect.
/// </summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Server base address, e.g. http://127.0.0.1:8080.", Required = true };
        var appId = new Option<uint>("--app-id") { Description = "AppId.", Required = true };
        var token = new Option<string?>("--token") { Description = "Token04 to log in with." };
        var secret = new Option<string?>("--secret") { Description = "ServerSecret: make (and renew) tokens locally instead of --token." };
        var room = new Option<string>("--room") { Description = "Room to log into.", Required = true };
        var user = new Option<string>("--user") { Description = "UserId.", Required = true };
        var userName = new Option<string?>("--user-name") { Description = "Display name (default: the UserId)." };
        var command = new Command("listen", "Log into a room and print every event as a JSON line.") { url, appId, token, secret, room, user, userName };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? t = parse.GetValue(token), s = parse.GetValue(secret);
            if ((t is null) == (s is null))
            {
                Console.Error.WriteLine("chorus listen: give exactly one of --token and --secret");
                return 2;
            }
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var serverUrl))
            {
                Console.Error.WriteLine("chorus listen: --url must be an absolute address such as http://127.0.0.1:8080");
                return 2;
            }
            uint id = parse.GetValue(appId);
            string roomId = parse.GetValue(room)!, userId = parse.GetValue(user)!;
            try
            {
                t ??= Token04.Generate(id, userId, s!, 3600);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"chorus listen: {ex.Message.Split(" (Parameter")[0]}");
                return 2;
            }

            await using var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = serverUrl, AppId = id });
            var ended = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new EventOutput();
            Subscribe(client, output, ended, renew: s is null ? null : () => Token04.Generate(id, userId, s, 3600));

            var result = await client.LoginRoomAsync(roomId, new RoomUser(userId, parse.GetValue(userName) ?? userId), new RoomConfig { Token = t }, cancellationToken);
            if (result.ErrorCode != 0)
            {
                output.Open(new JsonObject { ["event"] = "loginFailed", ["roomId"] = roomId, ["userId"] = userId, ["errorCode"] = result.ErrorCode, ["message"] = result.ErrorMessage });
                return 1;
            }
            output.Open(new JsonObject { ["event"] = "loggedIn", ["roomId"] = roomId, ["userId"] = userId, ["users"] = Users(result.Users) });
            try
            {
                return await ended.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        });
        return command;
    }

    private static void Subscribe(ChorusRoomClient client, EventOutput output, TaskCompletionSource<int> ended, Func<string>? renew)
    {
        client.CustomCommandReceived += (_, e) => output.Write(new JsonObject
        {
            ["event"] = "customCommand", ["roomId"] = e.RoomId, ["fromUserId"] = e.FromUser.UserId, ["fromUserName"] = e.FromUser.UserName, ["command"] = e.Command,
        });
        client.BroadcastMessageReceived += (_, e) =>
        {
            foreach (var m in e.Messages)
                output.Write(new JsonObject
                {
                    ["event"] = "broadcastMessage", ["roomId"] = e.RoomId, ["fromUserId"] = m.FromUser.UserId, ["fromUserName"] = m.FromUser.UserName,
                    ["message"] = m.Message, ["messageId"] = m.MessageId, ["sendTime"] = m.SendTime,
                });
        };
        client.BarrageMessageReceived += (_, e) =>
        {
            foreach (var m in e.Messages)
                output.Write(new JsonObject
                {
                    ["event"] = "barrageMessage", ["roomId"] = e.RoomId, ["fromUserId"] = m.FromUser.UserId, ["fromUserName"] = m.FromUser.UserName,
                    ["message"] = m.Message, ["messageId"] = m.MessageId, ["sendTime"] = m.SendTime,
                });
        };
        client.RoomUserUpdated += (_, e) => output.Write(new JsonObject
        {
            ["event"] = "roomUserUpdate", ["roomId"] = e.RoomId, ["updateType"] = e.UpdateType == RoomUpdateType.Add ? "add" : "delete", ["users"] = Users(e.Users),
        });
        client.RoomOnlineUserCountUpdated += (_, e) => output.Write(new JsonObject { ["event"] = "onlineUserCount", ["roomId"] = e.RoomId, ["count"] = e.Count });
        client.RoomExtraInfoUpdated += (_, e) => output.Write(new JsonObject
        {
            ["event"] = "roomExtraInfoUpdate", ["roomId"] = e.RoomId, ["key"] = e.Key, ["value"] = e.Value, ["fromUserId"] = e.UpdateUser.UserId,
        });
        client.RoomStateChanged += (_, e) =>
        {
            if (e.Reason is RoomStateReason.Logining or RoomStateReason.Logined or RoomStateReason.LoginFailed) return; // the login result says it
            output.Write(new JsonObject
            {
                ["event"] = "roomStateChanged", ["roomId"] = e.RoomId, ["reason"] = e.Reason.ToString(), ["errorCode"] = e.ErrorCode, ["extendedData"] = e.ExtendedData,
            });
            if (e.Reason is RoomStateReason.KickOut or RoomStateReason.ReconnectFailed) ended.TrySetResult(3);
        };
        client.RoomTokenWillExpire += async (_, e) =>
        {
            output.Write(new JsonObject { ["event"] = "tokenWillExpire", ["roomId"] = e.RoomId, ["secondsLeft"] = e.RemainTimeInSecond });
            if (renew is null) return;
            var r = await client.RenewTokenAsync(e.RoomId, renew());
            output.Write(new JsonObject { ["event"] = "tokenRenewed", ["roomId"] = e.RoomId, ["errorCode"] = r.ErrorCode });
        };
    }

    private static JsonArray Users(IEnumerable<RoomUser> users) =>
        new(users.Select(u => (JsonNode)new JsonObject { ["userId"] = u.UserId, ["userName"] = u.UserName }).ToArray());

    /// <summary>Holds events back until the login line is printed, so that it always comes first.</summary>
    private sealed class EventOutput
    {
        private readonly Lock _gate = new();
        private List<JsonObject>? _held = [];

        public void Write(JsonObject line)
        {
            lock (_gate)
            {
                if (_held is not null) { _held.Add(line); return; }
            }
            JsonLines.Write(line);
        }

        public void Open(JsonObject first)
        {
            List<JsonObject> held;
            lock (_gate)
            {
                held = _held ?? [];
                JsonLines.Write(first);
                foreach (var line in held) JsonLines.Write(line);
                _held = null;
            }
        }
    }
}
