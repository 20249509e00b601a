using System.Net.Sockets;
using System.Text;
using Chorus.ExternalServers;
using Npgsql;

namespace Chorus.ClusterTests;

/// <summary>The test-support library itself: real redis-server, PostgreSQL and chorus processes start, answer and stop.</summary>
public sealed class ExternalServersTests
{
    [Fact]
    public async Task Redis_server_answers_on_its_port_and_is_gone_after_dispose()
    {
        var redis = await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        int port = redis.Port;
        Assert.Equal($"127.0.0.1:{port}", redis.Configuration);
        Assert.Equal("+PONG", await CommandAsync(port, "PING"));
        Assert.Equal("+OK", await CommandAsync(port, "SET chorus:test 1"));

        await using (var other = await RedisServer.StartAsync(TestContext.Current.CancellationToken))
        {
            Assert.NotEqual(port, other.Port);
            Assert.Equal("$-1", await CommandAsync(other.Port, "GET chorus:test")); // a fresh server: nothing shared
        }

        await redis.DisposeAsync();
        Assert.False(redis.IsRunning);
        await Assert.ThrowsAnyAsync<SocketException>(() => CommandAsync(port, "PING"));
    }

    [Fact]
    public async Task Postgres_gives_each_test_a_fresh_isolated_database()
    {
        var server = await PostgresServer.GetSharedAsync();
        Assert.Same(server, await PostgresServer.GetSharedAsync());
        string first = await server.CreateDatabaseAsync(TestContext.Current.CancellationToken);
        string second = await server.CreateDatabaseAsync(TestContext.Current.CancellationToken);
        Assert.NotEqual(first, second);

        await using (var a = new NpgsqlConnection(first))
        {
            await a.OpenAsync(TestContext.Current.CancellationToken);
            await using var create = new NpgsqlCommand("CREATE TABLE t (x int); INSERT INTO t VALUES (42)", a);
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            await using var read = new NpgsqlCommand("SELECT x FROM t", a);
            Assert.Equal(42, await read.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }
        await using (var b = new NpgsqlConnection(second))
        {
            await b.OpenAsync(TestContext.Current.CancellationToken);
            await using var exists = new NpgsqlCommand("SELECT to_regclass('public.t') IS NULL", b);
            Assert.Equal(true, await exists.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            await using var where = new NpgsqlCommand("SELECT inet_server_addr()::text", b);
            Assert.Equal("127.0.0.1/32", await where.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task A_chorus_node_prints_its_url_answers_and_dies_on_kill()
    {
        await using var node = await ChorusNode.StartAsync("--app", "1001:cluster-test-secret-not-real-000");
        Assert.Equal("127.0.0.1", node.Url.Host);
        Assert.NotEqual(0, node.Url.Port);
        var deadline = DateTime.UtcNow.AddSeconds(10); // the appId line follows the url line
        while (!node.StdoutLines.Contains("appId: 1001") && DateTime.UtcNow < deadline) await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Contains("appId: 1001", node.StdoutLines);
        using (var client = new TcpClient())
            await client.ConnectAsync("127.0.0.1", node.Url.Port, TestContext.Current.CancellationToken);

        node.Kill();
        Assert.True(node.HasExited);
        Assert.Equal(128 + 9, node.ExitCode); // killed by SIGKILL
        using var refused = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => refused.ConnectAsync("127.0.0.1", node.Url.Port, TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task A_chorus_node_stops_on_sigterm_with_exit_code_0()
    {
        await using var node = await ChorusNode.StartAsync();
        Assert.Equal(0, await node.StopAsync());
    }

    [Fact]
    public async Task A_node_that_cannot_start_is_reported_with_its_output()
    {
        var ex = await Assert.ThrowsAsync<ExternalServerException>(() => ChorusNode.StartAsync("--no-such-flag"));
        Assert.Contains("exited with code 2", ex.Message);
        Assert.Contains("--no-such-flag", ex.Message);
    }

    /// <summary>One RESP inline command over a fresh connection; returns the first line of the reply.</summary>
    private static async Task<string> CommandAsync(int port, string command)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync("127.0.0.1", port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cts.Token);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync(cts.Token) ?? "";
    }
}
