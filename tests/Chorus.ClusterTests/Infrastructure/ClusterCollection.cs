namespace Chorus.ClusterTests.Infrastructure;

/// <summary>The room and chat tests share one three-node cluster (they run one after another; each uses its own ids).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "three nodes";
}
