using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Chorus.ClusterTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.ClusterTests;

/// <summary>The server API's replay window and per-app rates hold for the cluster, not per node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ServerApiClusterTests(ClusterFixture cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private async Task<JsonElement> SendSignedAsync(int node, string pathAndQuery, string? json = null)
    {
        using var response = json is null
            ? await s_http.GetAsync(new Uri(cluster.Url(node), pathAndQuery), Ct)
            : await s_http.PostAsync(new Uri(cluster.Url(node), pathAndQuery), new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    [Fact]
    public async Task A_signed_request_replayed_to_another_node_is_refused()
    {
        string query = "/?Action=DescribeUserNum&RoomId[]=" + ClusterFixture.NewPrefix() + "-room&"
            + ServerApiSignature.BuildCommonQuery(ClusterFixture.AppId, ClusterFixture.Secret, DateTimeOffset.UtcNow, ServerApiSignature.NewNonce());
        Assert.Equal(0, ClusterFixture.Code(await SendSignedAsync(0, query)));
        foreach (int node in new[] { 1, 2, 0 })
        {
            var replayed = await SendSignedAsync(node, query);
            Assert.Equal(ServerApiCodes.SignatureInvalid, ClusterFixture.Code(replayed));
            Assert.Equal("SignatureNonce was already used (replayed request)", replayed.GetProperty("Message").GetString());
        }
    }

    [Fact]
    public async Task The_per_app_rate_of_an_action_counts_calls_to_every_node()
    {
        const int ChatAppRateLimited = 660300005;
        string p = ClusterFixture.NewPrefix(), group = p + "-g";
        var owner = await cluster.ChatAsync(0, p + "-owner");
        Assert.Equal(0, (await owner.CreateGroupAsync(group, "Team", [], Ct)).ErrorCode);
        string body = $$$"""{"FromUserId":"{{{p}}}-bot","GroupId":"{{{group}}}","MessageBody":{"Message":"hi"}}""";
        int calls = 2 * ClusterFixture.GroupMessageRate;

        // all calls at once, spread over the nodes; a round that took most of a second could straddle two windows: again
        for (int round = 0; ; round++)
        {
            await Task.Delay(1100, Ct); // a fresh window
            var clock = Stopwatch.StartNew();
            var answers = await Task.WhenAll(Enumerable.Range(0, calls).Select(i => SendSignedAsync(i % ClusterFixture.NodeCount,
                "/?Action=SendGroupMessage&" + ServerApiSignature.BuildCommonQuery(ClusterFixture.AppId, ClusterFixture.Secret, DateTimeOffset.UtcNow), body)));
            if (clock.Elapsed > TimeSpan.FromMilliseconds(700) && round < 3) continue;
            var codes = answers.Select(ClusterFixture.Code).ToArray();
            Assert.True(codes.All(c => c is 0 or ChatAppRateLimited), $"unexpected answers: {string.Join(", ", codes)}");
            Assert.Equal(ClusterFixture.GroupMessageRate, codes.Count(c => c == 0)); // per node it would have been all of them
            return;
        }
    }
}
