using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.ServerApi;
using CsCheck;

namespace Chorus.IntegrationTests;

/// <summary>
/// Bounded fuzz passes against the real server: random and corpus query strings, bodies and WebSocket frames.
/// Inputs come from CsCheck generators run on one thread: a failure is shrunk to a small case and reported with its
/// seed ("Set seed: ..."); set the environment variable <c>CsCheck_Seed</c> to that value to replay it.
/// Fuzzed server API queries are signed correctly (most of them), so that the action handlers behind the signature
/// check are fuzzed too. Every outcome is checked against the only acceptable ones: an answer with a documented code,
/// or a documented close code; never an HTTP 500, a 1011, an abort without a close frame, or silence.
/// </summary>
public class NetworkFuzzTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };
    /// <summary>CHORUS_FUZZ_SCALE multiplies the case counts, as for the property tests (bench/fuzz-long.sh).</summary>
    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("CHORUS_FUZZ_SCALE"), out int s) && s > 0 ? s : 1;

    private static string Corpus(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "corpus", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(file);
    }

    private static HashSet<int> Codes(params Type[] types) =>
        [.. types.SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(int)).Select(f => (int)f.GetRawConstantValue()!)];

    /// <summary>The server API's documented codes (ZEGO Express room actions and ZIM chat actions).</summary>
    private static readonly HashSet<int> ServerApiDocumented = Codes(typeof(ServerApiCodes), typeof(ChatServerApi));
    /// <summary>The WebSocket protocol's documented codes (room and chat).</summary>
    private static readonly HashSet<int> ProtocolDocumented = Codes(typeof(RoomErrorCodes), typeof(ChatErrorCodes));
    /// <summary>Codes of the checks in front of the handlers: a request answered with one never reached an action.</summary>
    private static readonly HashSet<int> Gatekeeping =
    [
        ServerApiCodes.ActionEmpty, ServerApiCodes.ActionUnsupported, ServerApiCodes.AppIdFormat, ServerApiCodes.TimestampEmpty,
        ServerApiCodes.TimestampFormat, ServerApiCodes.SignatureExpired, ServerApiCodes.SignatureInvalid, ServerApiCodes.NonceEmpty,
        ServerApiCodes.SignatureEmpty, ServerApiCodes.AppUnknown, ServerApiCodes.VersionEmpty, ServerApiCodes.VersionUnsupported,
        ServerApiCodes.AuthFailed, ServerApiCodes.RateLimited, ChatServerApi.AppRateLimited,
    ];
    /// <summary>Close codes the server may end a connection with when a frame is bad (docs/protocol.md).</summary>
    private static readonly HashSet<WebSocketCloseStatus> AcceptableCloses =
    [
        WebSocketCloseStatus.InvalidMessageType,  // 1003: binary frame
        WebSocketCloseStatus.InvalidPayloadData,  // 1007: invalid UTF-8, closed by the WebSocket layer
        WebSocketCloseStatus.PolicyViolation,     // 1008: too many malformed frames, flooding
        WebSocketCloseStatus.MessageTooBig,       // 1009: over MaxFrameBytes
    ];

    private static readonly string[] Actions = ["SendCustomCommand", "SendBroadcastMessage", "SendBarrageMessage", "DescribeUserNum", "DescribeUsers",
        "KickoutUser", "CloseRoom", "SendPeerMessage", "SendGroupMessage", "SendRoomMessage", "QueryUserOnlineState"];
    private static readonly string[] CommonKeys = ["AppId", "SignatureNonce", "Timestamp", "Signature", "SignatureVersion"];

    private static Dictionary<string, string?> Unlimited()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Chorus:FramesPerConnectionPerSecond"] = "1000000", ["Chorus:FramesPerAppPerSecond"] = "1000000",
            ["Chorus:ConnectionsPerIpPerSecond"] = "100000", ["Chorus:LoginAttemptsPerConnectionPerMinute"] = "1000000",
            ["Chorus:BroadcastPerClientPerSecond"] = "1000000", ["Chorus:BroadcastPerRoomPerSecond"] = "1000000",
            ["Chorus:BarragePerRoomPerSecond"] = "1000000", ["Chorus:CustomCommandToManyPerSecond"] = "1000000",
            ["Chorus:CustomCommandToOnePerSecond"] = "1000000", ["Chorus:ChatSendsPerSecond"] = "1000000",
        };
        // the handlers, not the per-action rate limit, are what is fuzzed
        foreach (string action in Actions) settings[$"Chorus:ServerApiRatePerSecond:{action}"] = "1000000";
        return settings;
    }

    /// <summary>One fuzzed server API request.</summary>
    public sealed record ApiCase(bool Post, string? Action, (string Key, string Value)[] Parameters, bool Signed, byte[]? Body)
    {
        public override string ToString()
        {
            string text = $"{(Post ? "POST" : "GET")} {Query(null)} body={(Body is null ? "none" : Encoding.UTF8.GetString(Body))}";
            return text.Length <= 2000 ? text : text[..2000] + $"... ({text.Length} characters)";
        }

        /// <summary>The query string; signed with <paramref name="now"/>, or shown as "&lt;signed&gt;" when it is null.</summary>
        public string Query(DateTimeOffset? now)
        {
            var parts = new List<string>();
            if (Action is not null) parts.Add("Action=" + Uri.EscapeDataString(Action));
            foreach (var (k, v) in Parameters)
                if (!Signed || !CommonKeys.Contains(k)) parts.Add(Uri.EscapeDataString(k) + "=" + Uri.EscapeDataString(v));
            // signed afresh for every send (a new nonce each time), so a replayed or shrunk case is never a replay
            if (Signed) parts.Add(now is { } t ? ServerApiSignature.BuildCommonQuery(TestServer.AppA, TestServer.SecretA, t) : "<signed>");
            return string.Join('&', parts);
        }
    }

    private static Gen<string> Values => Gen.OneOf(
        Gen.OneOf("r1", "r2", "u1", "u2", "g1", "", "0", "1", "2", "-1", "4294967296", "99999999999999999999", "1.5", "null", "[]", "{}",
            "\u0000", "🎉", "a b", "room/1", new string('x', 129), new string('y', 1025), new string('z', 5000)),
        Gen.String[0, 40]);

    private static Gen<string> JsonValues => Gen.OneOf(
        Values.Select(v => JsonSerializer.Serialize(v)),
        Gen.Long.Select(l => l.ToString()),
        Gen.OneOf("null", "true", "[]", "{}", "[\"u1\",\"u2\"]", "[1,2,3]", "{\"a\":{\"b\":[]}}", new string('[', 20) + new string(']', 20), "1e309", "-0"));

    private static Gen<ApiCase> ApiCases
    {
        get
        {
            string[] keys = ["RoomId", "RoomId[]", "ToUserId[]", "ToUserId", "UserId", "UserId[]", "FromUserId", "UserName", "MessageContent", "MessageBody",
                "MessageCategory", "MessageType", "SubMsgType", "Priority", "GroupId", "LocalMessageId", "SearchedContent", "CustomReason", .. CommonKeys];
            var parameters = Gen.Select(Gen.OneOf(Gen.OneOf(keys), Gen.String[0, 12]), Values).Array[0, 10];
            var action = Gen.Frequency((8, Gen.OneOf(Actions).Select(a => (string?)a)), (1, Gen.Const((string?)null)), (1, Gen.String[0, 20].Select(s => (string?)s)));
            var jsonBody = Gen.Select(Gen.OneOf(keys), JsonValues).Array[0, 8]
                .Select(pairs => Encoding.UTF8.GetBytes("{" + string.Join(',', pairs.Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}"));
            var body = Gen.Frequency((5, Gen.Const((byte[]?)null)), (4, jsonBody.Select(b => (byte[]?)b)), (1, Gen.Byte.Array[0, 200].Select(b => (byte[]?)b)));
            return Gen.Select(Gen.Bool, action, parameters, Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false))), body)
                .Select((post, a, ps, signed, b) => new ApiCase(post, a, ps, signed, post ? b : null));
        }
    }

    /// <summary>Checks one server API answer; returns its code.</summary>
    private static async Task<int?> CheckAnswerAsync(HttpResponseMessage response, string what)
    {
        string text = await response.Content.ReadAsStringAsync(Ct);
        // Kestrel refuses a request line over its 8 KB limit with 414 before Chorus sees it: the one transport refusal.
        if ((int)response.StatusCode == 414 && response.RequestMessage!.RequestUri!.AbsoluteUri.Length > 8 * 1024) return null;
        Assert.True((int)response.StatusCode == 200, $"HTTP {(int)response.StatusCode} for {what}: {text}");
        using var doc = JsonDocument.Parse(text);
        int code = doc.RootElement.GetProperty("Code").GetInt32();
        Assert.True(code == 0 || ServerApiDocumented.Contains(code), $"undocumented Code {code} for {what}: {text}");
        if (code != 0) Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("Message").GetString()), $"no Message for {what}");
        CheckNestedCodes(doc.RootElement, what);
        return code;
    }

    /// <summary>Per-user codes inside an answer (FailUsers[].Code, ErrorList[].SubCode) are documented too.</summary>
    private static void CheckNestedCodes(JsonElement e, string what)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name is "Code" or "SubCode" && p.Value.ValueKind == JsonValueKind.Number)
                {
                    int c = p.Value.GetInt32();
                    Assert.True(c == 0 || ServerApiDocumented.Contains(c) || ProtocolDocumented.Contains(c), $"undocumented {p.Name} {c} for {what}");
                }
                CheckNestedCodes(p.Value, what);
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray()) CheckNestedCodes(item, what);
        }
    }

    [Fact]
    public async Task Server_api_answers_every_malformed_query_and_body_with_a_code()
    {
        await using var server = await TestServer.StartAsync(Unlimited());
        // Some real users and rooms, so that fuzzed actions also find someone to act on.
        await server.LoggedInAsync("r1", "u1");
        await server.LoggedInAsync("r2", "u2");
        await server.ChatAsync("u1");

        foreach (string query in File.ReadAllLines(Corpus("queries.txt")))
            await CheckAnswerAsync(await s_http.GetAsync(new Uri(server.Url, "/?" + query), Ct), "corpus " + query);

        int reachedHandler = 0, succeeded = 0, total = 0;
        await ApiCases.SampleAsync(async c =>
        {
            var uri = new Uri(server.Url, "/?" + c.Query(DateTimeOffset.UtcNow));
            using var response = c.Post
                ? await s_http.PostAsync(uri, c.Body is null ? null : new ByteArrayContent(c.Body), Ct)
                : await s_http.GetAsync(uri, Ct);
            if (await CheckAnswerAsync(response, c.ToString()) is not int code) return;
            total++;
            if (!Gatekeeping.Contains(code)) reachedHandler++;
            if (code == 0) succeeded++;
        }, iter: 600L * Scale, threads: 1);

        var deep = Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 100) + new string(']', 100) + "}");
        var signedPost = new Uri(server.Url, "/?Action=SendPeerMessage&" + ServerApiSignature.BuildCommonQuery(TestServer.AppA, TestServer.SecretA, DateTimeOffset.UtcNow));
        Assert.Equal(ServerApiCodes.BadParameter, await CheckAnswerAsync(await s_http.PostAsync(signedPost, new ByteArrayContent(deep), Ct), "a 100-deep body"));

        TestContext.Current.TestOutputHelper?.WriteLine($"{total} fuzzed requests: {reachedHandler} reached an action handler, {succeeded} succeeded");
        // The signing works: most cases get past the signature check, and some are even valid.
        Assert.True(reachedHandler > total / 2, $"only {reachedHandler} of {total} requests reached a handler");
        Assert.True(succeeded > 0, "no fuzzed request succeeded");
        var ok = await server.CallAsync("DescribeUserNum", ("RoomId[]", "after-fuzz"));
        Assert.Equal(0, ok.GetProperty("Code").GetInt32());
    }

    [Fact]
    public async Task Every_random_frame_gets_an_answer_or_a_close_and_the_server_keeps_serving()
    {
        await using var server = await TestServer.StartAsync(Unlimited());
        var corpus = File.ReadAllLines(Corpus("frames.txt")).Select(Encoding.UTF8.GetBytes).ToArray();
        string[] ops = [.. typeof(Ops).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!).Where(op => op != Ops.SubProtocol), "selfDestruct", ""];
        string[] fields = ["roomId", "userId", "userName", "token", "content", "toUserIds", "convType", "convId", "message", "messageIds", "count",
            "nextSeq", "members", "key", "value", "name", "reverse", "maxMemberCount", "userStatusNotify", "rid", "op", "muted", "pinned"];
        string[] users = ["fz1", "fz2"];
        // real tokens for the fuzz users, so that logins succeed and the handlers behind them get fuzzed too
        string[] tokens = [.. users.Select(u => server.Token(u)), Token04.Generate(TestServer.AppA, "fz1", TestServer.SecretB, 600)];
        var jsonValue = Gen.OneOf(
            Gen.OneOf(users).Select(u => JsonSerializer.Serialize(u)), Gen.OneOf(tokens).Select(t => JsonSerializer.Serialize(t)),
            Gen.OneOf("\"r1\"", "\"g1\"", "0", "1", "2", "-1", "9223372036854775807", "1e400", "null", "true", "[]", "{}", "[\"fz1\",\"fz2\"]",
                "[\"a\",1,null]", "{\"type\":1,\"text\":\"x\"}", "{\"type\":2,\"data\":\"AAE=\"}", "{\"type\":200,\"text\":\"x\",\"subType\":300}", "[1,2]"),
            Gen.String[0, 20].Select(s => JsonSerializer.Serialize(s)),
            Gen.Long.Select(l => l.ToString()));
        var jsonFrame = Gen.Select(Gen.OneOf(ops), Gen.Long[0, 100], Gen.Select(Gen.OneOf(fields), jsonValue).Array[0, 6])
            .Select((op, rid, pairs) => Encoding.UTF8.GetBytes("{\"op\":" + JsonSerializer.Serialize(op) + ",\"rid\":" + rid + string.Concat(pairs.Select(p => ",\"" + p.Item1 + "\":" + p.Item2)) + "}"));
        var frame = Gen.Frequency((6, jsonFrame), (1, Gen.OneOf(corpus)), (2, Gen.Byte.Array[1, 120]));
        // A case is a short sequence on a fresh connection: replaying its seed replays the whole conversation.
        var cases = frame.Array[1, 6];

        await using var sentinel = await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
        long sentinelRid = 0;
        int answers = 0, closes = 0;
        await cases.SampleAsync(async sequence =>
        {
            await using (var raw = await RawSocket.ConnectAsync(server.Url, TestServer.AppA))
            {
                foreach (var bytes in sequence)
                {
                    await raw.Socket.SendAsync(bytes, WebSocketMessageType.Text, true, Ct);
                    var outcome = await AwaitOutcomeAsync(raw);
                    if (outcome is { } status)
                    {
                        Assert.True(AcceptableCloses.Contains(status), $"closed with {(int)status} after {Encoding.UTF8.GetString(bytes)}");
                        closes++;
                        break;
                    }
                    answers++;
                }
            }
            // the server still answers, after every case
            var pong = await sentinel.RequestOrPongAsync(++sentinelRid);
            Assert.Equal("pong", pong.GetProperty("op").GetString());
        }, iter: 300L * Scale, threads: 1, print: s => string.Join(" | ", s.Select(b => Encoding.UTF8.GetString(b))));

        TestContext.Current.TestOutputHelper?.WriteLine($"{answers} answers, {closes} closes");
        Assert.True(answers > 0 && closes > 0, $"{answers} answers, {closes} closes: both outcomes should occur");
        // still serving: a real login and message work
        var a = await server.LoggedInAsync("after-fuzz", "a");
        Assert.Equal(0, (await a.SendBroadcastMessageAsync("after-fuzz", "still here", Ct)).ErrorCode);
    }

    /// <summary>
    /// Reads until the answer to the frame just sent: a result, error or pong (null is returned), checking that every
    /// code on the way is documented; or a close (its status is returned). An abort without a close frame, or no
    /// answer within 5 s, fails.
    /// </summary>
    private static async Task<WebSocketCloseStatus?> AwaitOutcomeAsync(RawSocket raw)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, "no answer and no close within 5 s");
            JsonElement? received;
            try { received = await raw.ReceiveOrCloseAsync(left); }
            catch (WebSocketException ex) { throw new Xunit.Sdk.XunitException($"the connection was aborted without a close frame: {ex.Message}"); }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException("no answer and no close within 5 s"); }
            if (received is not { } f) return raw.Socket.CloseStatus ?? throw new Xunit.Sdk.XunitException("a close frame without a status");
            if (f.TryGetProperty("errorCode", out var code))
                Assert.True(ProtocolDocumented.Contains(code.GetInt32()), $"undocumented errorCode {code.GetInt32()}: {f}");
            if (f.GetProperty("op").GetString() is "result" or "error" or "pong") return null;
        }
    }
}
