using System.Collections.Concurrent;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Storage.Sqlite;

namespace Chorus.IntegrationTests;

public class ChatReliabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Sends until the server acknowledges, retrying with the same LocalMessageId (as an app would after a timeout).</summary>
    private static async Task<ChatMessage> SendUntilAckedAsync(ChorusChatClient client, string text, string to, ConversationType type = ConversationType.Peer)
    {
        var message = ChatMessage.Text(text);
        for (int attempt = 0; attempt < 200; attempt++)
        {
            var r = await client.SendMessageAsync(message, to, type, cancellationToken: Ct);
            if (r.ErrorCode == 0) return r.Message;
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"'{text}' was never acknowledged");
    }

    [Fact]
    public async Task Two_users_chat_while_one_reconnects_and_nothing_is_lost_or_doubled()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ChatSendsPerSecond"] = "1000" });
        await using var proxy = new FaultProxy(server.Url);
        var alice = await server.ChatAsync("alice");
        var bob = await server.ChatAsync("bob", url: proxy.Url, tweak: o => o with
        {
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(300), RequestTimeout = TimeSpan.FromSeconds(2),
        });
        var bobGot = new ConcurrentQueue<ChatMessage>();
        var aliceGot = new ConcurrentQueue<ChatMessage>();
        bob.PeerMessageReceived += (_, e) => { foreach (var m in e.Messages) bobGot.Enqueue(m); };
        alice.PeerMessageReceived += (_, e) => { foreach (var m in e.Messages) aliceGot.Enqueue(m); };
        var bobStates = new EventSink<ChatConnectionStateChanged>();
        bob.ConnectionStateChanged += bobStates.Handler;

        var fromAlice = Task.Run(async () =>
        {
            for (int i = 1; i <= 60; i++)
            {
                await SendUntilAckedAsync(alice, $"a{i}", "bob");
                await Task.Delay(10, Ct);
            }
        }, Ct);
        var fromBob = Task.Run(async () =>
        {
            for (int i = 1; i <= 30; i++)
            {
                await SendUntilAckedAsync(bob, $"b{i}", "alice");
                await Task.Delay(20, Ct);
            }
        }, Ct);

        var firstHalf = DateTime.UtcNow.AddSeconds(30);
        while (bobGot.Count < 15)
        {
            Assert.True(DateTime.UtcNow < firstHalf, $"only {bobGot.Count} of the first 15 messages arrived in 30 s");
            await Task.Delay(10, Ct);
        }
        proxy.Refuse = true;
        proxy.DropAll();
        Assert.Equal(ChatConnectionState.Reconnecting, (await bobStates.NextAsync()).State);
        await Task.Delay(400, Ct);
        proxy.Refuse = false;
        Assert.Equal(ChatConnectionState.Connected, (await bobStates.NextAsync(TimeSpan.FromSeconds(10))).State);
        await Task.WhenAll(fromAlice, fromBob).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((bobGot.Count < 60 || aliceGot.Count < 30) && DateTime.UtcNow < deadline) await Task.Delay(20, Ct);
        await Task.Delay(300, Ct); // anything doubled would arrive now
        Assert.Equal(Enumerable.Range(1, 60).Select(i => $"a{i}"), bobGot.Select(m => m.Message));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => $"b{i}"), aliceGot.Select(m => m.Message));
        Assert.Contains(bobGot, m => m.IsOfflineMessage); // some came through catch-up, not live

        var history = new List<ChatMessage>();
        ChatMessage? next = null;
        for (int pages = 0; ; pages++)
        {
            Assert.True(pages < 10, "history paging did not end"); // 90 messages are one page of 100
            var page = await alice.QueryHistoryMessageAsync("bob", ConversationType.Peer, new HistoryQueryConfig { Count = 100, NextMessage = next }, Ct);
            if (page.Messages.Count == 0) break;
            history.AddRange(page.Messages);
            next = page.Messages[^1];
        }
        Assert.Equal(90, history.Count);
        Assert.Equal(Enumerable.Range(1, 90).Select(i => (long)i), history.Select(m => m.ConversationSeq));
        Assert.Equal(90, history.Select(m => m.Message).Distinct().Count());
    }

    /// <summary>Kill points and clients of the crash test (at least 20 kill points with 50 clients; CHORUS_KILL_POINTS raises it for soak runs).</summary>
    private static readonly int KillPoints = int.TryParse(Environment.GetEnvironmentVariable("CHORUS_KILL_POINTS"), out int k) && k > 20 ? k : 20;
    private const int Clients = 50;

    [Fact]
    public async Task Server_killed_mid_stream_keeps_every_acknowledged_message_exactly_once()
    {
        string data = TestServer.NewDataDirectory();
        var random = new Random(20261126); // fixed: a failure can be replayed
        try
        {
            var acked = new ConcurrentBag<(string Conversation, long MessageId, string Text)>();
            for (int round = 0; round < KillPoints; round++)
            {
                await using var serve = CliProcess.Start("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}",
                    "--Chorus:ChatSendsPerSecond=100000", "--Chorus:ChatGroupCreatesPerUserPerHour=100000", "--Chorus:FramesPerConnectionPerSecond=100000", "--Chorus:FramesPerAppPerSecond=1000000", "--Chorus:ConnectionsPerIpPerSecond=100000");
                string url = (await serve.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
                var options = new ChorusClientOptions { ServerUrl = new Uri(url), AppId = TestServer.AppA, RequestTimeout = TimeSpan.FromSeconds(3), ReconnectGiveUpAfter = TimeSpan.FromSeconds(1) };
                var senders = new List<ChorusChatClient>();
                try
                {
                    var logins = Enumerable.Range(0, Clients).Select(async s =>
                    {
                        var c = new ChorusChatClient(options);
                        lock (senders) senders.Add(c);
                        Assert.Equal(0, (await c.LoginAsync(new ChatUserInfo($"s{s}"), Token04.Generate(TestServer.AppA, $"s{s}", TestServer.SecretA, 600), Ct)).ErrorCode);
                        return c;
                    }).ToArray();
                    var clients = await Task.WhenAll(logins);
                    Assert.Equal(0, (await clients[0].CreateGroupAsync($"g{round}", "g", [.. Enumerable.Range(1, Clients - 1).Select(i => $"s{i}")], Ct)).ErrorCode);
                    using var stop = new CancellationTokenSource();
                    var loops = clients.Select((c, s) => Task.Run(async () =>
                    {
                        for (int i = 0; !stop.IsCancellationRequested; i++)
                        {
                            (string to, ConversationType type) = i % 2 == 0 ? ($"peer{s % 5}", ConversationType.Peer) : ($"g{round}", ConversationType.Group);
                            string text = $"r{round}-s{s}-{i}";
                            var r = await c.SendMessageAsync(ChatMessage.Text(text), to, type, cancellationToken: CancellationToken.None);
                            if (r.ErrorCode == 0) acked.Add((type == ConversationType.Peer ? $"s{s}|{to}" : to, r.Message.MessageId, text));
                            else if (!stop.IsCancellationRequested) await Task.Delay(20);
                        }
                    })).ToArray();
                    int killAt = acked.Count + random.Next(20, 300); // a random point in the stream
                    var killDeadline = DateTime.UtcNow.AddSeconds(60);
                    while (acked.Count < killAt)
                    {
                        Assert.True(DateTime.UtcNow < killDeadline, $"only {acked.Count} of {killAt} sends acknowledged in 60 s");
                        await Task.Delay(1, Ct);
                    }
                    await serve.KillAsync(); // SIGKILL: no shutdown, no flush
                    stop.Cancel();
                    await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30), Ct);
                }
                finally
                {
                    foreach (var c in senders) await c.DisposeAsync();
                }

                // the file the killed process left is sound
                await using (var store = new SqliteChatStore(Path.Combine(data, "chorus.db")))
                    Assert.Equal("ok", await store.CheckIntegrityAsync());
                TestContext.Current.TestOutputHelper?.WriteLine($"kill point {round + 1}: {acked.Count} acknowledged so far, integrity ok");
            }

            // restart and read everything back
            // one reader pages through every conversation, far over a normal client's frame and login rates
            await using var restarted = CliProcess.Start("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}",
                "--Chorus:FramesPerConnectionPerSecond=100000", "--Chorus:LoginAttemptsPerConnectionPerMinute=100000");
            string url2 = (await restarted.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
            await using var reader = new ChorusChatClient(new ChorusClientOptions { ServerUrl = new Uri(url2), AppId = TestServer.AppA });
            var stored = new Dictionary<string, List<ChatMessage>>();
            foreach (var conversation in acked.Select(a => a.Conversation).Distinct())
            {
                bool peer = conversation.Contains('|');
                string user = peer ? conversation.Split('|')[0] : "s0";
                Assert.Equal(0, (await reader.LoginAsync(new ChatUserInfo(user), Token04.Generate(TestServer.AppA, user, TestServer.SecretA, 600), Ct)).ErrorCode);
                var all = new List<ChatMessage>();
                ChatMessage? next = null;
                for (int pages = 0; ; pages++)
                {
                    Assert.True(pages <= acked.Count / 100 + 2, "history paging did not end");
                    var page = await reader.QueryHistoryMessageAsync(peer ? conversation.Split('|')[1] : conversation, peer ? ConversationType.Peer : ConversationType.Group,
                        new HistoryQueryConfig { Count = 100, NextMessage = next }, Ct);
                    Assert.Equal(0, page.ErrorCode);
                    if (page.Messages.Count == 0) break;
                    all.AddRange(page.Messages);
                    next = page.Messages[^1];
                }
                stored[conversation] = all;
                await reader.LogoutAsync(Ct);
                // sequence numbers have no gaps, and no message is stored twice
                Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(m => m.ConversationSeq));
                Assert.Equal(all.Count, all.Select(m => m.Message).Distinct().Count());
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"{KillPoints} kill points, {Clients} clients: {acked.Count} acknowledged messages in {stored.Count} conversations, all present once after restart");
            foreach (var (conversation, messageId, text) in acked)
            {
                var found = stored[conversation].Where(m => m.MessageId == messageId).ToList();
                Assert.True(found.Count == 1, $"acknowledged message {text} ({messageId}) is missing after the kill");
                Assert.Equal(text, found[0].Message);
            }
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
