namespace Chorus.Server.Hosting;

/// <summary>
/// Settings of a node that is one of many (<c>Chorus:Redis</c>, <c>Chorus:Postgres</c>; flat keys under <c>Chorus</c> like
/// every setting). Without them the node runs alone on the embedded store.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>A StackExchange.Redis configuration string (e.g. <c>127.0.0.1:6379</c>): presence and fan-out shared by every node given the same one.</summary>
    public string? Redis { get; set; }

    /// <summary>An Npgsql connection string: the chat store shared by every node given the same one.</summary>
    public string? Postgres { get; set; }
}
