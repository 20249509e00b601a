using Chorus.Protocol;

namespace Chorus.Server.Core.Operations;

/// <summary>The connection's own ops: the heartbeat (<c>ping</c>, answered with <c>pong</c>).</summary>
public sealed class ConnectionOps : IOpModule
{
    /// <summary>The feature name in the op table.</summary>
    public const string Feature = "connection";

    /// <inheritdoc />
    public void Register(OpRegistryBuilder ops) =>
        ops.Add(ProtocolOps.Ping, Feature, AnyConnection.For<PingRequest>(), "", RateClass.Frame,
            static (_, request, _) => ValueTask.FromResult(new PongResult { Rid = request.Rid }));
}
