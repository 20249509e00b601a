namespace Chorus.Server.Core.Operations;

/// <summary>What a connection must be for an op to run (listed in docs/security.md from the op table).</summary>
public abstract class CallerRequirement
{
    private protected CallerRequirement(string name, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Name = name;
        Description = description;
    }

    /// <summary>A short name (e.g. <c>chat login</c>).</summary>
    public string Name { get; }

    /// <summary>What it means and what a caller that is not gets.</summary>
    public string Description { get; }
}

/// <summary>
/// Checks a caller for a request. Returns true with what the check resolved (a room login, a chat login, the
/// connection itself) in <paramref name="caller"/>, or false with the answer to send in <paramref name="refusal"/>.
/// </summary>
/// <typeparam name="TRequest">The request.</typeparam>
/// <typeparam name="TCaller">What the check resolves.</typeparam>
public delegate bool CallerCheck<in TRequest, TCaller>(IClientConnection connection, TRequest request, long? rid, out TCaller caller, out EncodedFrame refusal);

/// <summary>A requirement and the check that enforces it.</summary>
/// <typeparam name="TRequest">The requests it checks.</typeparam>
/// <typeparam name="TCaller">What it hands the handler.</typeparam>
public sealed class CallerRequirement<TRequest, TCaller> : CallerRequirement
{
    /// <summary>Creates the requirement.</summary>
    public CallerRequirement(string name, string description, CallerCheck<TRequest, TCaller> check) : base(name, description) => Check = check;

    /// <summary>The check.</summary>
    public CallerCheck<TRequest, TCaller> Check { get; }
}

/// <summary>The requirement every connection meets.</summary>
public static class AnyConnection
{
    /// <summary>Any connection of the app (the handler checks the credentials it is given, e.g. a token).</summary>
    public static CallerRequirement<TRequest, IClientConnection> For<TRequest>() => Cache<TRequest>.Instance;

    private static class Cache<TRequest>
    {
        public static readonly CallerRequirement<TRequest, IClientConnection> Instance = new(Name, Description,
            static (IClientConnection connection, TRequest _, long? _, out IClientConnection caller, out EncodedFrame refusal) =>
            {
                caller = connection;
                refusal = default;
                return true;
            });
    }

    /// <summary>The requirement's name.</summary>
    public const string Name = "any connection";

    /// <summary>What it means.</summary>
    public const string Description = "any connection of the app; the request itself carries what is checked (a token)";
}
