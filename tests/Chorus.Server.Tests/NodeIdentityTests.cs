using Chorus.Server.Core;
using Chorus.Server.Hosting;

namespace Chorus.Server.Tests;

/// <summary>The node number in ids: its range, its place in an id, and that two nodes never compose the same id.</summary>
public sealed class NodeIdentityTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    public void A_node_number_from_0_to_1023_is_used_as_configured(int id)
    {
        var node = new NodeIdentity(id);
        Assert.Equal((id, true), (node.Id, node.IsConfigured));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    public void A_node_number_outside_0_to_1023_is_refused(int id) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new NodeIdentity(id));

    [Fact]
    public void An_unconfigured_node_draws_a_number_in_range()
    {
        var node = new NodeIdentity();
        Assert.False(node.IsConfigured);
        Assert.InRange(node.Id, 0, NodeIdentity.MaxId);
    }

    [Fact]
    public void Ids_increase_with_the_sequence_on_one_node_and_differ_between_nodes()
    {
        var a = new NodeIdentity(1);
        var b = new NodeIdentity(2);
        long sequence = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
        Assert.True(a.Compose(sequence + 1) > a.Compose(sequence));
        Assert.True(b.Compose(sequence + 1) > a.Compose(sequence)); // a later sequence wins whatever the node (restarts)
        Assert.NotEqual(a.Compose(sequence), b.Compose(sequence));
        Assert.Equal(sequence, a.Compose(sequence) >> NodeIdentity.Bits);
        // Clock-seeded sequences stay positive in 64 bits for centuries (year 2200: under long.MaxValue).
        long in2200 = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
        Assert.True(a.Compose(in2200) > 0);
    }

    [Fact]
    public void A_request_id_is_16_hex_digits_that_start_with_the_node_number()
    {
        var node = new NodeIdentity(0x2a);
        var ids = Enumerable.Range(0, 100).Select(_ => node.NewRequestId()).ToArray();
        Assert.All(ids, id => Assert.Matches("^02a[0-9a-f]{13}$", id));
        Assert.Equal(100, ids.Distinct().Count());
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(1023, true)]
    [InlineData(1024, false)]
    public void The_NodeId_setting_is_checked_at_start(int nodeId, bool valid)
    {
        var result = new ChorusServerOptionsValidator().Validate(null, new ChorusServerOptions { NodeId = nodeId });
        Assert.Equal(valid, result.Succeeded);
        if (!valid) Assert.Contains("Chorus:NodeId must be 0-1023.", result.FailureMessage);
    }
}
