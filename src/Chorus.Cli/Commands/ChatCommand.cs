using System.Collections.Concurrent;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Client;
using Chorus.Protocol;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus chat --url URL --app-id ID (--token T | --secret S) --user U</c>: a scriptable chat client. Logs in, prints
/// <c>{"event":"loggedIn",...}</c>, then reads one JSON command per line on stdin and prints one JSON object per line for
/// each result and each event. Exit codes: 0 at the end of input, 1 login failed, 2 bad arguments, 3 kicked out.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var args = new ClientArguments();
        var command = new Command("chat", "A chat client driven by JSON lines on stdin; prints results and events as JSON lines.");
        args.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (args.Read(parse, "chat") is not { } a) return 2;
            await using var client = new ChorusChatClient(new ChorusClientOptions { ServerUrl = a.Url, AppId = a.AppId });
            var session = new ChatSession(client);
            var kicked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            session.Subscribe(kicked, a.Renew);

            var login = await client.LoginAsync(new ChatUserInfo(a.UserId, a.UserName), a.Token, cancellationToken);
            if (login.ErrorCode != 0)
            {
                session.Open(new JsonObject { ["event"] = "loginFailed", ["userId"] = a.UserId, ["errorCode"] = login.ErrorCode, ["message"] = login.ErrorMessage });
                return 1;
            }
            session.Open(new JsonObject { ["event"] = "loggedIn", ["userId"] = a.UserId });

            var input = Task.Run(async () =>
            {
                while (await Console.In.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (string.IsNullOrWhiteSpace(line)) continue;
                    JsonLines.Write(await session.RunAsync(line, cancellationToken));
                }
            }, cancellationToken);
            try
            {
                var first = await Task.WhenAny(input, kicked.Task);
                if (first == kicked.Task) return 3;
                await input;
                return 0;
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        });
        return command;
    }

    /// <summary>One logged-in chat client and the JSON commands it runs.</summary>
    private sealed class ChatSession(ChorusChatClient client)
    {
        // MessageId → ConversationSeq of every message printed, so that "next" can name a message.
        private readonly ConcurrentDictionary<long, long> _seqById = new();
        private readonly HeldOutput _output = new();

        public void Open(JsonObject first) => _output.Open(first);

        private void Event(JsonObject line) => _output.Write(line);

        public void Subscribe(TaskCompletionSource kicked, Func<string>? renew)
        {
            client.PeerMessageReceived += (_, e) => Messages("peerMessage", e);
            client.GroupMessageReceived += (_, e) => Messages("groupMessage", e);
            client.RoomMessageReceived += (_, e) => Messages("roomMessage", e);
            client.ConversationChanged += (_, c) => Event(new JsonObject { ["event"] = "conversationChanged", ["conversation"] = Conversation(c) });
            client.ConversationTotalUnreadMessageCountUpdated += (_, n) => Event(new JsonObject { ["event"] = "unreadTotal", ["count"] = n });
            client.MessageReceiptChanged += (_, r) => Event(new JsonObject
            {
                ["event"] = "receiptChanged", ["type"] = TypeName(r.ConversationType), ["id"] = r.ConversationId, ["readerUserId"] = r.ReaderUserId,
                ["messageIds"] = new JsonArray([.. r.MessageIds.Select(i => (JsonNode)i)]),
            });
            client.MessageRevokeReceived += (_, m) => Event(new JsonObject { ["event"] = "revoked", ["message"] = Message(m) });
            client.GroupMemberStateChanged += (_, g) => Event(new JsonObject
            {
                ["event"] = "groupMemberChanged", ["id"] = g.GroupId, ["updateType"] = g.UpdateType, ["members"] = new JsonArray([.. g.UserIds.Select(u => (JsonNode)u)]),
            });
            client.ConnectionStateChanged += (_, c) =>
            {
                if (c.State is ChatConnectionState.Connecting) return;
                Event(new JsonObject { ["event"] = "connectionStateChanged", ["state"] = c.State.ToString(), ["reason"] = c.Event.ToString() });
                if (c.Event is ChatConnectionEvent.KickedOut or ChatConnectionEvent.TokenExpired) kicked.TrySetResult();
            };
            client.TokenWillExpire += async (_, seconds) =>
            {
                Event(new JsonObject { ["event"] = "tokenWillExpire", ["secondsLeft"] = seconds });
                if (renew is null) return;
                var r = await client.RenewTokenAsync(renew());
                Event(new JsonObject { ["event"] = "tokenRenewed", ["errorCode"] = r.ErrorCode });
            };
        }

        private void Messages(string name, MessagesReceived e)
        {
            foreach (var m in e.Messages) Event(new JsonObject { ["event"] = name, ["message"] = Message(m) });
        }

        public async Task<JsonObject> RunAsync(string line, CancellationToken ct)
        {
            JsonObject cmd;
            try { cmd = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object"); }
            catch (JsonException ex) { return Fail("?", ChatErrorCodes.BadParameter, $"not a JSON object: {ex.Message}"); }
            string op = Str(cmd, "op") ?? "";
            try
            {
                var type = ParseType(Str(cmd, "type"));
                string target = Str(cmd, "to") ?? Str(cmd, "id") ?? "";
                switch (op)
                {
                    case "send":
                    {
                        var message = NewMessage(cmd);
                        if (cmd["localId"] is JsonValue lv && lv.TryGetValue(out long localId)) message.LocalMessageId = localId;
                        var config = new MessageSendConfig { HasReceipt = Bool(cmd, "receipt"), Priority = (MessagePriority)(Int(cmd, "priority") ?? 2) };
                        var r = await client.SendMessageAsync(message, target, type, config, null, ct);
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("message", Message(r.Message)));
                    }
                    case "history":
                    {
                        long? next = null;
                        if (cmd["next"] is JsonValue nv && nv.TryGetValue(out long nextId))
                        {
                            if (!_seqById.TryGetValue(nextId, out long seq)) return Fail(op, ChatErrorCodes.BadParameter, "next names a message this client has not seen; use nextSeq");
                            next = seq;
                        }
                        if (cmd["nextSeq"] is JsonValue sv && sv.TryGetValue(out long nextSeq)) next = nextSeq;
                        var r = await client.QueryHistoryMessageAsync(target, type, new HistoryQueryConfig { Count = Int(cmd, "count") ?? 20, Reverse = Bool(cmd, "reverse"), NextConversationSeq = next }, ct);
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("messages", new JsonArray([.. r.Messages.Select(m => (JsonNode)Message(m))])));
                    }
                    case "conversations":
                    {
                        var r = await client.QueryConversationListAsync(Int(cmd, "count") ?? 100, ct);
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("conversations", new JsonArray([.. r.Conversations.Select(c => (JsonNode)Conversation(c))])));
                    }
                    case "markRead": return Done(op, await client.ClearConversationUnreadMessageCountAsync(target, type, ct));
                    case "mute": return Done(op, await client.SetConversationNotificationStatusAsync(cmd["muted"] is null || Bool(cmd, "muted"), target, type, ct));
                    case "pin": return Done(op, await client.UpdateConversationPinnedStateAsync(cmd["pinned"] is null || Bool(cmd, "pinned"), target, type, ct));
                    case "deleteConversation": return Done(op, await client.DeleteConversationAsync(target, type, ct));
                    case "delete": return Done(op, await client.DeleteMessagesAsync(Longs(cmd, "messageIds"), target, type, ct));
                    case "deleteAll": return Done(op, await client.DeleteAllMessageAsync(target, type, ct));
                    case "receipts": return Done(op, await client.SendMessageReceiptsReadAsync(Longs(cmd, "messageIds"), target, type, ct));
                    case "revoke":
                    {
                        var r = await client.RevokeMessageAsync(cmd["messageId"]?.GetValue<long>() ?? 0, ct);
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("message", Message(r.Message)));
                    }
                    case "createGroup": return Group(op, await client.CreateGroupAsync(target, Str(cmd, "name") ?? "", Strings(cmd, "members"), ct));
                    case "joinGroup": return Group(op, await client.JoinGroupAsync(target, ct));
                    case "leaveGroup": return Group(op, await client.LeaveGroupAsync(target, ct));
                    case "dismissGroup": return Group(op, await client.DismissGroupAsync(target, ct));
                    case "inviteGroup": return Group(op, await client.InviteUsersIntoGroupAsync(Strings(cmd, "members"), target, ct));
                    case "kickGroup": return Group(op, await client.KickGroupMembersAsync(Strings(cmd, "members"), target, ct));
                    case "groupInfo": return Group(op, await client.QueryGroupInfoAsync(target, ct));
                    case "groupMembers": return Members(op, await client.QueryGroupMemberListAsync(target, ct));
                    case "createRoom": return Done(op, await client.CreateRoomAsync(target, Str(cmd, "name") ?? "", ct));
                    case "enterRoom": return Done(op, await client.EnterRoomAsync(target, Str(cmd, "name") ?? "", ct));
                    case "joinRoom": return Done(op, await client.JoinRoomAsync(target, ct));
                    case "leaveRoom": return Done(op, await client.LeaveRoomAsync(target, ct));
                    case "roomMembers": return Members(op, await client.QueryRoomMemberListAsync(target, ct));
                    case "logout": return Done(op, await client.LogoutAsync(ct));
                    default: return Fail(op, ChatErrorCodes.BadParameter, $"unknown op '{op}'");
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or JsonException or ArgumentException)
            {
                return Fail(op, ChatErrorCodes.BadParameter, ex.Message);
            }
        }

        private static ChatMessage NewMessage(JsonObject cmd) => (Str(cmd, "kind") ?? "text") switch
        {
            "text" => ChatMessage.Text(Str(cmd, "text") ?? ""),
            "command" => ChatMessage.Command(Convert.FromBase64String(Str(cmd, "data") ?? "")),
            "barrage" => ChatMessage.Barrage(Str(cmd, "text") ?? ""),
            "custom" => ChatMessage.Custom(Str(cmd, "text") ?? "", Int(cmd, "subType") ?? 0, Str(cmd, "searchedContent")),
            var k => throw new FormatException($"kind must be text, command, barrage or custom (got '{k}')"),
        };

        private JsonObject Message(ChatMessage m)
        {
            if (m.MessageId != 0 && m.ConversationSeq != 0) _seqById[m.MessageId] = m.ConversationSeq;
            var o = new JsonObject
            {
                ["messageId"] = m.MessageId, ["localMessageId"] = m.LocalMessageId, ["conversationId"] = m.ConversationId,
                ["type"] = TypeName(m.ConversationType), ["kind"] = m.Type.ToString().ToLowerInvariant(), ["senderUserId"] = m.SenderUserId,
                ["timestamp"] = m.Timestamp, ["conversationSeq"] = m.ConversationSeq, ["orderKey"] = m.OrderKey,
                ["direction"] = m.Direction == MessageDirection.Send ? "send" : "receive", ["sentStatus"] = m.SentStatus.ToString().ToLowerInvariant(),
            };
            if (m.Message is not null) o["text"] = m.Message;
            if (m.Data is not null) o["data"] = Convert.ToBase64String(m.Data);
            if (m.Type == ChatMessageType.Custom) o["subType"] = m.SubType;
            if (m.ReceiptStatus != 0) o["receiptStatus"] = m.ReceiptStatus;
            if (m.IsOfflineMessage) o["isOffline"] = true;
            return o;
        }

        private JsonObject Conversation(ChatConversation c) => new()
        {
            ["id"] = c.ConversationId, ["type"] = TypeName(c.ConversationType), ["unreadCount"] = c.UnreadMessageCount, ["maxSeq"] = c.MaxSeq,
            ["muted"] = c.IsMuted, ["pinned"] = c.IsPinned, ["lastMessage"] = c.LastMessage is null ? null : Message(c.LastMessage),
        };

        private static JsonObject Group(string op, GroupResult r)
        {
            var o = Done(op, r.ErrorCode, r.ErrorMessage);
            if (r.Group is { } g) o["group"] = new JsonObject { ["id"] = g.GroupId, ["name"] = g.GroupName, ["owner"] = g.OwnerUserId, ["memberCount"] = g.MemberCount };
            return o;
        }

        private static JsonObject Members(string op, MemberListResult r) =>
            Done(op, r.ErrorCode, r.ErrorMessage, ("members", new JsonArray([.. r.UserIds.Select(u => (JsonNode)u)])));

        private static JsonObject Done(string op, ChatResult r) => Done(op, r.ErrorCode, r.ErrorMessage);

        private static JsonObject Done(string op, int code, string? error, params (string Key, JsonNode? Value)[] data)
        {
            var o = new JsonObject { ["op"] = op, ["errorCode"] = code };
            if (code != 0) o["message"] = error;
            else foreach (var (k, v) in data) o[k] = v;
            return o;
        }

        private static JsonObject Fail(string op, int code, string message) => new() { ["op"] = op, ["errorCode"] = code, ["message"] = message };

        private static ConversationType ParseType(string? type) => type switch
        {
            null or "peer" => ConversationType.Peer,
            "group" => ConversationType.Group,
            "room" => ConversationType.Room,
            _ => throw new FormatException($"type must be peer, group or room (got '{type}')"),
        };

        private static string TypeName(ConversationType t) => t switch { ConversationType.Group => "group", ConversationType.Room => "room", _ => "peer" };
        private static string? Str(JsonObject o, string k) => o[k] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        private static int? Int(JsonObject o, string k) => o[k] is JsonValue v && v.TryGetValue(out int i) ? i : null;
        private static bool Bool(JsonObject o, string k) => o[k] is JsonValue v && v.TryGetValue(out bool b) && b;
        private static long[] Longs(JsonObject o, string k) => o[k] is JsonArray a ? [.. a.Select(n => n!.GetValue<long>())] : [];
        private static string[] Strings(JsonObject o, string k) => o[k] is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];
    }
}
