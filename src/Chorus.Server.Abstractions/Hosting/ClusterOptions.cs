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

    /// <summary>
    /// How long a node may go without refreshing its liveness key in Redis before the others take it for dead and remove
    /// its room members (default 10 s, 1 s-5 min). It refreshes every third of it; the others look every 2 s.
    /// </summary>
    public TimeSpan NodeLivenessTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="ClusterOptions"/>.</summary>
public sealed class ClusterOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<ClusterOptions>
{
    /// <inheritdoc />
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ClusterOptions options) =>
        options.NodeLivenessTimeout < TimeSpan.FromSeconds(1) || options.NodeLivenessTimeout > TimeSpan.FromMinutes(5)
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail("Chorus:NodeLivenessTimeout must be from 00:00:01 to 00:05:00.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
