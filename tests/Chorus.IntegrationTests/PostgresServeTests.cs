using Chorus.Client;
using Chorus.ExternalServers;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Npgsql;

namespace Chorus.IntegrationTests;

/// <summary><c>chorus serve --postgres</c>: a real server process keeping chat in a real PostgreSQL (the test run's own,
/// <see cref="PostgresServer"/>; the tests fail naming what is missing when it cannot start).</summary>
public sealed class PostgresServeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CliProcess Serve(string connectionString, string data) =>
        CliProcess.Start("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}", "--postgres", connectionString);

    private static async Task<ChorusChatClient> LoginAsync(string url, string user)
    {
        var client = new ChorusChatClient(new ChorusClientOptions { ServerUrl = new Uri(url), AppId = TestServer.AppA, RequestTimeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(0, (await client.LoginAsync(new ChatUserInfo(user), Token04.Generate(TestServer.AppA, user, TestServer.SecretA, 600), Ct)).ErrorCode);
        return client;
    }

    [Fact]
    public async Task Chat_sent_through_a_server_on_PostgreSQL_is_read_back_after_the_server_is_killed_and_started_on_another_data_directory()
    {
        var pg = await PostgresServer.GetSharedAsync();
        string db = await pg.CreateDatabaseAsync(Ct);
        string data1 = TestServer.NewDataDirectory(), data2 = TestServer.NewDataDirectory();
        var sent = new List<(long MessageId, string Text)>();
        try
        {
            await using (var serve = Serve(db, data1))
            {
                string url = (await serve.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
                await using var alice = await LoginAsync(url, "alice");
                await using var bob = await LoginAsync(url, "bob");
                for (int i = 1; i <= 5; i++)
                {
                    var r = await alice.SendMessageAsync(ChatMessage.Text($"peer {i} \u00e9\U0001F600"), "bob", ConversationType.Peer, cancellationToken: Ct);
                    Assert.Equal(0, r.ErrorCode);
                    Assert.Equal(i, r.Message.ConversationSeq);
                    sent.Add((r.Message.MessageId, $"peer {i} \u00e9\U0001F600"));
                }
                Assert.Equal(0, (await alice.CreateGroupAsync("team", "Team", ["bob"], Ct)).ErrorCode);
                Assert.Equal(0, (await bob.SendMessageAsync(ChatMessage.Text("to the group"), "team", ConversationType.Group, cancellationToken: Ct)).ErrorCode);
                await serve.KillAsync(); // SIGKILL: what was acknowledged is in the database already
            }

            // A new process with an empty data directory: everything comes from PostgreSQL.
            await using var restarted = Serve(db, data2);
            string url2 = (await restarted.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
            await using var bob2 = await LoginAsync(url2, "bob");
            var history = await bob2.QueryHistoryMessageAsync("alice", ConversationType.Peer, new HistoryQueryConfig { Count = 10, Reverse = true }, Ct);
            Assert.Equal(0, history.ErrorCode);
            Assert.Equal(sent.Select(s => s.MessageId), history.Messages.Select(m => m.MessageId));
            Assert.Equal(sent.Select(s => s.Text), history.Messages.Select(m => m.Message));
            Assert.Equal([1L, 2, 3, 4, 5], history.Messages.Select(m => m.ConversationSeq));
            var conversations = await bob2.QueryConversationListAsync(10, Ct);
            Assert.Equal(0, conversations.ErrorCode);
            var peer = Assert.Single(conversations.Conversations, c => c.ConversationId == "alice");
            Assert.Equal(5, peer.UnreadMessageCount);
            var group = Assert.Single(conversations.Conversations, c => c.ConversationId == "team");
            Assert.Equal(0, group.UnreadMessageCount); // bob's own message
            Assert.Equal("to the group", group.LastMessage?.Message);

            // the next message continues the sequence the database holds
            await using var alice2 = await LoginAsync(url2, "alice");
            var next = await alice2.SendMessageAsync(ChatMessage.Text("after the restart"), "bob", ConversationType.Peer, cancellationToken: Ct);
            Assert.Equal(0, next.ErrorCode);
            Assert.Equal(6, next.Message.ConversationSeq);
            Assert.True(next.Message.MessageId > sent[^1].MessageId);

            await using var c = new NpgsqlConnection(db);
            await c.OpenAsync(Ct);
            await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM chorus_messages", c);
            Assert.Equal(7L, (long)(await count.ExecuteScalarAsync(Ct))!);
            Assert.False(File.Exists(Path.Combine(data2, "chorus.db")), "the chat went to SQLite in the data directory");
        }
        finally
        {
            foreach (var d in new[] { data1, data2 })
                try { Directory.Delete(d, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_database_that_cannot_be_used_stops_the_start_with_exit_2_and_one_line_that_names_it_without_the_password()
    {
        var pg = await PostgresServer.GetSharedAsync();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var data = Enumerable.Range(0, 4).Select(_ => TestServer.NewDataDirectory()).ToArray(); // one each: they run at once
        try
        {
            var cases = new (string[] Args, string Expected)[]
            {
                (["--postgres", $"Host=127.0.0.1;Port={closedPort};Username=chorus;Password=not-a-real-pw-1;Timeout=3"], $"127.0.0.1:{closedPort}"),
                ([$"--Chorus:Postgres=Host=127.0.0.1;Port={pg.Port};Username=postgres;Password=not-a-real-pw-1;Database=no_such_database"], "does not exist"),
                (["--postgres", "Host=127.0.0.1;Pasword=not-a-real-pw-1"], "connection string is not valid"),
                (["--postgres", " "], "needs an Npgsql connection string"),
            };
            var runs = await Task.WhenAll(cases.Select((c, i) => CliProcess.RunAsync(["serve", "--port", "0", "--data", data[i], .. c.Args])));
            foreach (var ((_, expected), (exit, stdout, stderr)) in cases.Zip(runs))
            {
                Assert.Equal(2, exit);
                Assert.Equal("", stdout); // no url: nothing started
                string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                Assert.StartsWith("chorus serve: ", line);
                Assert.Contains(expected, line);
                Assert.DoesNotContain("not-a-real-pw-1", line);
            }
        }
        finally
        {
            foreach (var d in data)
                try { Directory.Delete(d, recursive: true); } catch (IOException) { }
        }
    }
}
