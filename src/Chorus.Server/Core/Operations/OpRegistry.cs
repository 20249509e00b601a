using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Chorus.Server.Core.Operations;

/// <summary>
/// The one table of the WebSocket protocol's client→server ops: for each op its request reader, what the caller must be
/// (<see cref="CallerRequirement"/>, checked here before the handler runs), what the handler checks as it runs, the op's
/// rate-limit class and its handler. Features fill it through <see cref="IOpModule"/>; the gateway dispatches by it and
/// knows no op by name.
/// </summary>
public sealed class OpRegistry
{
    private readonly FrozenDictionary<string, OpEntry> _entries;

    /// <summary>Builds the table from every feature's registrations.</summary>
    /// <exception cref="InvalidOperationException">Two features registered the same op.</exception>
    public OpRegistry(IEnumerable<IOpModule> modules)
    {
        var builder = new OpRegistryBuilder();
        foreach (var module in modules) module.Register(builder);
        _entries = builder.Entries.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The entry of <paramref name="op"/>, or null when no feature handles it.</summary>
    public OpEntry? Find(string? op) => op is not null && _entries.TryGetValue(op, out var entry) ? entry : null;

    /// <summary>Every registered op, by name.</summary>
    public IEnumerable<OpEntry> Entries => _entries.Values.OrderBy(e => e.Feature, StringComparer.Ordinal).ThenBy(e => e.Op, StringComparer.Ordinal);
}

/// <summary>How strictly the gateway meters an op, beyond the per-connection and per-app frame rates every frame counts against.</summary>
public enum RateClass
{
    /// <summary>Only the frame rates.</summary>
    Frame = 0,
    /// <summary>Also the per-connection login attempts per minute (<c>Chorus:LoginAttemptsPerConnectionPerMinute</c>).</summary>
    Login = 1,
}

/// <summary>A feature's part of the op table: registers its handlers at start-up.</summary>
public interface IOpModule
{
    /// <summary>Registers the feature's ops.</summary>
    void Register(OpRegistryBuilder ops);
}

/// <summary>What features register their ops with.</summary>
public sealed class OpRegistryBuilder
{
    internal Dictionary<string, OpEntry> Entries { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers <paramref name="op"/>, an entry of the protocol's table (<see cref="Protocol.ProtocolOps"/>): its request is
    /// read with the op's request record, the caller must satisfy <paramref name="caller"/> (checked before
    /// <paramref name="handler"/> runs, which gets what the check resolved), and the answer is written with the op's
    /// result record, the same records the SDK writes and reads.
    /// </summary>
    /// <param name="op">The op, from <see cref="Protocol.ProtocolOps"/>.</param>
    /// <param name="feature">The feature that owns it (listed in docs/security.md).</param>
    /// <param name="caller">What the connection must be.</param>
    /// <param name="checks">What the handler checks as it runs, beyond <paramref name="caller"/> (for the listing), or "" when nothing.</param>
    /// <param name="rate">The op's rate-limit class.</param>
    /// <param name="handler">Handles the request of a caller that passed the check.</param>
    /// <exception cref="InvalidOperationException">The op is registered already.</exception>
    public void Add<TRequest, TCaller, TResult>(Protocol.RequestOp<TRequest, TResult> op, string feature, CallerRequirement<TRequest, TCaller> caller, string checks,
        RateClass rate, Func<TCaller, TRequest, CancellationToken, ValueTask<TResult>> handler)
        where TRequest : Protocol.ProtocolRequest
        where TResult : Protocol.ProtocolResult, new()
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(caller);
        if (!Entries.TryAdd(op.Name, new OpEntry<TRequest, TCaller, TResult>(op.Name, feature, caller, checks, rate, op.Request, op.Result, handler)))
            throw new InvalidOperationException($"the op '{op.Name}' is registered twice");
    }
}

/// <summary>One op of the table.</summary>
public abstract class OpEntry
{
    private protected OpEntry(string op, string feature, CallerRequirement caller, string checks, RateClass rate)
    {
        Op = op;
        Feature = feature;
        Caller = caller;
        Checks = checks;
        Rate = rate;
    }

    /// <summary>The op name on the wire.</summary>
    public string Op { get; }

    /// <summary>The feature that owns the op.</summary>
    public string Feature { get; }

    /// <summary>What the caller must be, checked before the handler runs.</summary>
    public CallerRequirement Caller { get; }

    /// <summary>What the handler checks as it runs ("" when nothing beyond <see cref="Caller"/>).</summary>
    public string Checks { get; }

    /// <summary>The op's rate-limit class.</summary>
    public RateClass Rate { get; }

    /// <summary>Reads the request from a whole frame; null when it is not a JSON object of the request's shape.</summary>
    public abstract object? Read(ReadOnlySpan<byte> utf8);

    /// <summary>Checks the caller and, when it passes, runs the handler; returns the encoded answer, carrying <paramref name="rid"/>.</summary>
    public abstract ValueTask<EncodedFrame> HandleAsync(IClientConnection connection, object request, long? rid, CancellationToken cancellationToken);
}

internal sealed class OpEntry<TRequest, TCaller, TResult>(string op, string feature, CallerRequirement<TRequest, TCaller> caller, string checks, RateClass rate,
    JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResult> resultType, Func<TCaller, TRequest, CancellationToken, ValueTask<TResult>> handler)
    : OpEntry(op, feature, caller, checks, rate)
    where TRequest : class
    where TResult : Protocol.ProtocolMessage
{
    public override object? Read(ReadOnlySpan<byte> utf8)
    {
        try { return JsonSerializer.Deserialize(utf8, requestType); }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    public override async ValueTask<EncodedFrame> HandleAsync(IClientConnection connection, object request, long? rid, CancellationToken cancellationToken)
    {
        var typed = (TRequest)request;
        if (!caller.Check(connection, typed, rid, out var resolved, out var refusal)) return refusal;
        var result = await handler(resolved, typed, cancellationToken);
        // The answer carries the rid the envelope was dispatched by (a frame may repeat "rid": the last number counts).
        result.Rid = rid;
        return EncodedFrame.FromPayload(JsonSerializer.SerializeToUtf8Bytes(result, resultType));
    }
}
