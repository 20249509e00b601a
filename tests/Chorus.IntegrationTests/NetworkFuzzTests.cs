using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Chorus.IntegrationTests.Infrastructure;
using CsCheck;

namespace Chorus.IntegrationTests;

/// <summary>
/// Bounded fuzz passes against the real server: random and corpus query strings, bodies and WebSocket frames. Every
/// request gets a well-formed answer (or, for frames, an answer or a close); the server stays up and keeps serving.
/// </summary>
public class NetworkFuzzTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static string Corpus(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "corpus", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(file);
    }

    private static readonly Dictionary<string, string?> Unlimited = new()
    {
        ["Chorus:FramesPerConnectionPerSecond"] = "1000000", ["Chorus:FramesPerAppPerSecond"] = "1000000",
        ["Chorus:ConnectionsPerIpPerSecond"] = "100000", ["Chorus:LoginAttemptsPerConnectionPerMinute"] = "1000000",
    };

    [Fact]
    public async Task Server_api_answers_every_malformed_query_and_body_with_a_code()
    {
        await using var server = await TestServer.StartAsync(Unlimited);
        async Task Check(HttpResponseMessage response)
        {
            Assert.Equal(200, (int)response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.NotEqual(0, doc.RootElement.GetProperty("Code").GetInt32());
            Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("Message").GetString()));
        }

        foreach (string query in File.ReadAllLines(Corpus("queries.txt")))
            await Check(await s_http.GetAsync(new Uri(server.Url, "/?" + query), Ct));

        string[] keys = ["Action", "AppId", "SignatureNonce", "Timestamp", "Signature", "SignatureVersion", "RoomId", "RoomId[]", "ToUserId[]", "UserId[]", "FromUserId", "MessageContent", "MessageBody", "GroupId"];
        var genQuery = Gen.Select(Gen.OneOf(keys), Gen.String[0, 40]).Array[0, 12]
            .Select(pairs => string.Join('&', pairs.Select(p => Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2))));
        var queries = new List<string>();
        genQuery.Sample(q => queries.Add(q), iter: 300, threads: 1);
        foreach (var q in queries) await Check(await s_http.GetAsync(new Uri(server.Url, "/?" + q), Ct));

        var bodies = new List<byte[]>();
        Gen.Byte.Array[0, 200].Sample(b => bodies.Add(b), iter: 100, threads: 1);
        foreach (var body in bodies.Append(Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 100) + new string(']', 100) + "}")))
        {
            using var content = new ByteArrayContent(body);
            await Check(await s_http.PostAsync(new Uri(server.Url, "/?Action=SendPeerMessage&AppId=1001&SignatureNonce=x&Timestamp=1&SignatureVersion=2.0&Signature=y"), content, Ct));
        }
        var ok = await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"));
        Assert.Equal(0, ok.GetProperty("Code").GetInt32());
    }

    [Fact]
    public async Task Every_random_frame_gets_an_answer_or_a_close_and_the_server_keeps_serving()
    {
        await using var server = await TestServer.StartAsync(Unlimited);
        var frames = File.ReadAllLines(Corpus("frames.txt")).Select(Encoding.UTF8.GetBytes).ToList();
        string[] ops = ["login", "logout", "customCommand", "broadcast", "barrage", "sendMessage", "queryHistory", "chatLogin", "createGroup", "enterRoom", "revokeMessage", "ping"];
        string[] fields = ["roomId", "userId", "token", "content", "toUserIds", "convType", "convId", "message", "messageIds", "count", "nextSeq", "members"];
        var genJson = Gen.Select(Gen.OneOf(ops), Gen.Select(Gen.OneOf(fields), Gen.OneOf<string>(Gen.String[0, 20].Select(s => JsonSerializer.Serialize(s)), Gen.Long.Select(l => l.ToString()),
                Gen.Const("null"), Gen.Const("[]"), Gen.Const("{}"), Gen.Const("[\"a\",1,null]"), Gen.Const("{\"type\":1,\"text\":\"x\"}"))).Array[0, 6])
            .Select((op, pairs) => "{\"op\":\"" + op + "\",\"rid\":1" + string.Concat(pairs.Select(p => ",\"" + p.Item1 + "\":" + p.Item2)) + "}");
        genJson.Sample(j => frames.Add(Encoding.UTF8.GetBytes(j)), iter: 400, threads: 1);
        Gen.Byte.Array[1, 120].Sample(b => frames.Add(b), iter: 100, threads: 1);

        RawSocket? raw = null;
        int closes = 0, answers = 0;
        foreach (var frame in frames)
        {
            raw ??= await RawSocket.ConnectAsync(server.Url, TestServer.AppA);
            try
            {
                await raw.Socket.SendAsync(frame, WebSocketMessageType.Text, true, Ct);
                await raw.ReceiveAsync(TimeSpan.FromSeconds(5));
                answers++;
            }
            catch (Exception ex) when (ex is WebSocketException or System.Text.Json.JsonException or Xunit.Sdk.XunitException)
            {
                // A close (invalid UTF-8 is closed by the WebSocket layer) is an acceptable answer; take a new connection.
                closes++;
                await raw.DisposeAsync();
                raw = null;
            }
        }
        if (raw is not null) await raw.DisposeAsync();
        Assert.True(answers > frames.Count / 2, $"{answers} answers, {closes} closes");
        // still serving: a real login and message work
        var a = await server.LoggedInAsync("after-fuzz", "a");
        Assert.Equal(0, (await a.SendBroadcastMessageAsync("after-fuzz", "still here", Ct)).ErrorCode);
    }
}
