using Chorus.ClusterTests.Infrastructure;
using Chorus.ExternalServers;

namespace Chorus.ClusterTests;

/// <summary>What a node refuses at start in cluster mode.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterStartupTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Redis_without_postgres_exits_2_saying_chat_would_split()
    {
        var data = Directory.CreateTempSubdirectory("chorus-node-");
        try
        {
            var (code, _, stderr) = await ChorusNode.RunAsync(["serve", "--port", "0", "--data", data.FullName, "--redis", cluster.Cluster.Redis.Configuration]);
            Assert.Equal(2, code);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Contains("--postgres", line);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_node_id_held_by_a_live_node_is_refused()
    {
        var ex = await Assert.ThrowsAsync<ExternalServerException>(() => cluster.Cluster.StartNodeAsync(nodeId: 2, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("exited with code 2", ex.Message);
        Assert.Contains("NodeId", ex.Message);
    }
}
