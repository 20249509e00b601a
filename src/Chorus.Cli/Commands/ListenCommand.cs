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
        var args = new ClientArguments();
        var room = new Option<string>("--room") { Description = "Room to log into.", Required = true };
        var command = new Command("listen", "Log into a room and print every event as a JSON line.") { room };
        args.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (args.Read(parse, "listen") is not { } a) return 2;
            string roomId = parse.GetValue(room)!, userId = a.UserId;
            await using var client = new ChorusRoomClient(new ChorusClientOptions { ServerUrl = a.Url, AppId = a.AppId });
            var ended = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new HeldOutput();
            Subscribe(client, output, ended, a.Renew);

            var result = await client.LoginRoomAsync(roomId, new RoomUser(userId, a.UserName), new RoomConfig { Token = a.Token }, cancellationToken);
            if (result.ErrorCode != 0)
            {
                output.Close(new JsonObject { ["event"] = "loginFailed", ["roomId"] = roomId, ["userId"] = userId, ["errorCode"] = result.ErrorCode, ["errorMessage"] = result.ErrorMessage ?? "" });
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

    private static void Subscribe(ChorusRoomClient client, HeldOutput output, TaskCompletionSource<int> ended, Func<string>? renew)
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
}
