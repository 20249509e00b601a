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
/// each result and each event. Exit codes: 0 at the end of input or Ctrl+C, 1 login failed, 2 bad arguments, 3 kicked out.
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
                // Only the loginFailed line: the SDK's connection-state events of the failed attempt are not printed.
                session.Close(new JsonObject { ["event"] = "loginFailed", ["userId"] = a.UserId, ["errorCode"] = login.ErrorCode, ["errorMessage"] = login.ErrorMessage ?? "" });
                return 1;
            }
            session.Open(new JsonObject { ["event"] = "loggedIn", ["userId"] = a.UserId });

            var input = Task.Run(async () =>
            {
                while (await Console.In.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (string.IsNullOrWhiteSpace(line)) { session.CountBlankLine(); continue; }
                    JsonLines.Write(await session.RunAsync(line, cancellationToken));
                }
            }, cancellationToken);
            // Reading stdin does not stop on cancellation, so Ctrl+C is awaited beside it.
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var onCancel = cancellationToken.Register(() => stopped.TrySetResult());
            try
            {
                var first = await Task.WhenAny(input, kicked.Task, stopped.Task);
                if (first == kicked.Task) return 3;
                if (first == stopped.Task) return 0;
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

        public void Close(JsonObject last) => _output.Close(last);

        // Input lines read so far (blank ones included), to name a line that is not JSON.
        private int _lineNumber;

        public void CountBlankLine() => Interlocked.Increment(ref _lineNumber);

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

        // The most messages one history query returns (the protocol's queryHistory count, 1-100).

        // The fields each op reads (besides "op"); any other field is refused, so that a misspelled field is not ignored.
        private static readonly string[] s_target = ["type", "id", "to"];
        private static readonly Dictionary<string, string[]> s_fields = new(StringComparer.Ordinal)
        {
            ["send"] = [.. s_target, "text", "localId", "kind", "data", "subType", "searchedContent", "receipt", "priority"],
            ["history"] = [.. s_target, "count", "reverse", "next", "nextSeq"],
            ["conversations"] = ["count"],
            ["markRead"] = s_target, ["deleteConversation"] = s_target, ["deleteAll"] = s_target,
            ["mute"] = [.. s_target, "muted"], ["pin"] = [.. s_target, "pinned"],
            ["delete"] = [.. s_target, "messageIds"], ["receipts"] = [.. s_target, "messageIds"],
            ["revoke"] = ["messageId"],
            ["createGroup"] = [.. s_target, "name", "members"],
            ["joinGroup"] = s_target, ["leaveGroup"] = s_target, ["dismissGroup"] = s_target, ["groupInfo"] = s_target, ["groupMembers"] = s_target,
            ["inviteGroup"] = [.. s_target, "members"], ["kickGroup"] = [.. s_target, "members"],
            ["createRoom"] = [.. s_target, "name"], ["enterRoom"] = [.. s_target, "name"],
            ["joinRoom"] = s_target, ["leaveRoom"] = s_target, ["roomMembers"] = s_target,
            ["logout"] = [],
        };

        public async Task<JsonObject> RunAsync(string line, CancellationToken ct)
        {
            JsonObject cmd;
            int lineNumber = Interlocked.Increment(ref _lineNumber);
            try { cmd = JsonNode.Parse(line) as JsonObject ?? throw new BadField($"not a JSON object (input line {lineNumber} is JSON, but not an object)"); }
            catch (JsonException) { return Fail("?", ChatErrorCodes.BadParameter, $"not a JSON object (input line {lineNumber} is not valid JSON)"); }
            catch (BadField ex) { return Fail("?", ChatErrorCodes.BadParameter, ex.Message); }
            string op = cmd["op"] is JsonValue ov && ov.TryGetValue(out string? o) ? o : "?";
            try
            {
                // Every field is checked before anything is sent: a wrong type or an unknown field refuses the whole command.
                if (op == "?") throw new BadField("op must be a string naming the command");
                if (!s_fields.TryGetValue(op, out var allowed)) return Fail(op, ChatErrorCodes.BadParameter, $"unknown op '{op}'");
                if (cmd.Select(kv => kv.Key).FirstOrDefault(k => k != "op" && !allowed.Contains(k)) is { } unknown)
                    throw new BadField($"unknown field '{unknown}' for {op}");
                var type = ParseType(Str(cmd, "type"));
                string target = Str(cmd, "to") ?? Str(cmd, "id") ?? "";
                switch (op)
                {
                    case "send":
                    {
                        var message = NewMessage(cmd);
                        if (Long(cmd, "localId") is { } localId)
                        {
                            // 0 sends without deduplication; a negative id has no meaning.
                            if (localId < 0) throw new BadField($"localId must be 0 (no deduplication) or more (got {localId})");
                            message.LocalMessageId = localId;
                        }
                        int priority = Int(cmd, "priority") ?? 2;
                        if (priority is < 1 or > 3) throw new BadField($"priority must be 1, 2 or 3 (got {priority})");
                        var config = new MessageSendConfig { HasReceipt = Bool(cmd, "receipt") ?? false, Priority = (MessagePriority)priority };
                        var r = await client.SendMessageAsync(message, target, type, config, null, ct);
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("message", Message(r.Message)));
                    }
                    case "history":
                    {
                        long? next = null;
                        if (Long(cmd, "next") is { } nextId)
                        {
                            if (!_seqById.TryGetValue(nextId, out long seq)) return Fail(op, ChatErrorCodes.BadParameter, "next names a message this client has not seen; use nextSeq");
                            next = seq;
                        }
                        if (Long(cmd, "nextSeq") is { } nextSeq) next = nextSeq;
                        int count = Int(cmd, "count") ?? 20;
                        if (count is < 1 or > ChatLimits.MaxHistoryCount) throw new BadField($"count must be from 1 to {ChatLimits.MaxHistoryCount} (got {count})");
                        // This command's reverse is the wire's (false: newest first, paging back; true: oldest first,
                        // paging forward), as it always was; the SDK's is ZIM's, the other way round, with every page
                        // oldest first.
                        bool reverse = Bool(cmd, "reverse") ?? false;
                        var r = await client.QueryHistoryMessageAsync(target, type, new HistoryQueryConfig { Count = count, Reverse = !reverse, NextConversationSeq = next }, ct);
                        var messages = reverse ? r.Messages : [.. r.Messages.Reverse()];
                        // The cursor of the next page: the last message of this one. Null when there is no further page:
                        // this one came back short, or it was full and a probe for one more message found none.
                        var last = r.ErrorCode == 0 && messages.Count == count ? messages[^1] : null;
                        if (last is not null)
                        {
                            var probe = await client.QueryHistoryMessageAsync(target, type, new HistoryQueryConfig { Count = 1, Reverse = !reverse, NextConversationSeq = last.ConversationSeq }, ct);
                            if (probe.ErrorCode == 0 && probe.Messages.Count == 0) last = null;
                        }
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("messages", new JsonArray([.. messages.Select(m => (JsonNode)Message(m))])),
                            ("next", last?.MessageId), ("nextSeq", last?.ConversationSeq));
                    }
                    case "conversations":
                    {
                        var r = await client.QueryConversationListAsync(Int(cmd, "count") ?? 100, ct);
                        return Done(op, r.ErrorCode, r.ErrorMessage, ("conversations", new JsonArray([.. r.Conversations.Select(c => (JsonNode)Conversation(c))])));
                    }
                    case "markRead": return Done(op, await client.ClearConversationUnreadMessageCountAsync(target, type, ct));
                    case "mute": return Done(op, await client.SetConversationNotificationStatusAsync(Bool(cmd, "muted") ?? true, target, type, ct));
                    case "pin": return Done(op, await client.UpdateConversationPinnedStateAsync(Bool(cmd, "pinned") ?? true, target, type, ct));
                    case "deleteConversation": return Done(op, await client.DeleteConversationAsync(target, type, ct));
                    case "delete": return Done(op, await client.DeleteMessagesAsync(Longs(cmd, "messageIds"), target, type, ct));
                    case "deleteAll": return Done(op, await client.DeleteAllMessageAsync(target, type, ct));
                    case "receipts": return Done(op, await client.SendMessageReceiptsReadAsync(Longs(cmd, "messageIds"), target, type, ct));
                    case "revoke":
                    {
                        var r = await client.RevokeMessageAsync(Long(cmd, "messageId") ?? throw new BadField("messageId is missing (the id of the message to revoke)"), ct);
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
                    case "createRoom": return Room(op, await client.CreateRoomAsync(target, Str(cmd, "name") ?? "", ct));
                    case "enterRoom": return Room(op, await client.EnterRoomAsync(target, Str(cmd, "name") ?? "", ct));
                    case "joinRoom": return Room(op, await client.JoinRoomAsync(target, ct));
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
            "command" => ChatMessage.Command(Base64(cmd, "data")),
            "barrage" => ChatMessage.Barrage(Str(cmd, "text") ?? ""),
            "custom" => ChatMessage.Custom(Str(cmd, "text") ?? "", Int(cmd, "subType") ?? 0, Str(cmd, "searchedContent")),
            var k => throw new BadField($"kind must be text, command, barrage or custom (got '{k}')"),
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

        private static JsonObject Room(string op, ChatRoomResult r) =>
            Done(op, r.ErrorCode, r.ErrorMessage, ("count", r.MemberCount), ("nextSeq", r.NextSeq));

        private static JsonObject Members(string op, MemberListResult r) =>
            Done(op, r.ErrorCode, r.ErrorMessage, ("members", new JsonArray([.. r.UserIds.Select(u => (JsonNode)u)])));

        private static JsonObject Done(string op, ChatResult r) => Done(op, r.ErrorCode, r.ErrorMessage);

        private static JsonObject Done(string op, int code, string? error, params (string Key, JsonNode? Value)[] data)
        {
            // One contract: "op" and "errorCode" always; on success (0) the data keys, otherwise "errorMessage" only.
            var o = new JsonObject { ["op"] = op, ["errorCode"] = code };
            if (code != 0) o["errorMessage"] = error ?? "";
            else foreach (var (k, v) in data) o[k] = v;
            return o;
        }

        private static JsonObject Fail(string op, int code, string message) => Done(op, code, message);

        private static ConversationType ParseType(string? type) => type switch
        {
            null or "peer" => ConversationType.Peer,
            "group" => ConversationType.Group,
            "room" => ConversationType.Room,
            _ => throw new BadField($"type must be peer, group or room (got '{type}')"),
        };

        private static string TypeName(ConversationType t) => t switch { ConversationType.Group => "group", ConversationType.Room => "room", _ => "peer" };
        // Field readers: an absent (or null) field is null; a present field of another type is refused, naming the field.
        private static string? Str(JsonObject o, string k) => o[k] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s,
            var n => throw Wrong(k, "a string", n),
        };

        private static int? Int(JsonObject o, string k) => o[k] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out int i) => i,
            var n => throw Wrong(k, "a whole number", n),
        };

        private static long? Long(JsonObject o, string k) => o[k] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out long l) => l,
            var n => throw Wrong(k, "a whole number", n),
        };

        private static bool? Bool(JsonObject o, string k) => o[k] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out bool b) => b,
            var n => throw Wrong(k, "true or false", n),
        };

        private static long[] Longs(JsonObject o, string k) => o[k] switch
        {
            null => [],
            JsonArray a => [.. a.Select((n, i) => n is JsonValue v && v.TryGetValue(out long l) ? l : throw Wrong($"{k}[{i}]", "a whole number", n))],
            var n => throw Wrong(k, "an array of whole numbers", n),
        };

        private static string[] Strings(JsonObject o, string k) => o[k] switch
        {
            null => [],
            JsonArray a => [.. a.Select((n, i) => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw Wrong($"{k}[{i}]", "a string", n))],
            var n => throw Wrong(k, "an array of strings", n),
        };

        private static byte[] Base64(JsonObject o, string k)
        {
            string text = Str(o, k) ?? "";
            try { return Convert.FromBase64String(text); }
            catch (FormatException) { throw new BadField($"{k} must be Base64"); }
        }

        private static BadField Wrong(string field, string expected, JsonNode? got)
        {
            string shown = got?.ToJsonString() ?? "null";
            return new BadField($"{field} must be {expected} (got {(shown.Length <= 40 ? shown : shown[..40] + "…")})");
        }
    }

    /// <summary>A command field that is missing its type or not known: the command is refused with BadParameter.</summary>
    private sealed class BadField(string message) : FormatException(message);
}
