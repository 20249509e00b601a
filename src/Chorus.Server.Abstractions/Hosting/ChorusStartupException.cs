namespace Chorus.Server.Hosting;

/// <summary>
/// The node cannot start for a reason its operator must fix (a cluster bus that cannot be reached, a node id held by a
/// live node). <see cref="Exception.Message"/> is one line meant for the operator; <c>chorus serve</c> prints it and
/// exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class ChorusStartupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChorusStartupException(string message, int exitCode, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    /// <summary>The exit code of <c>chorus serve</c>: 2 for a setting to change, 1 for a failure outside this node.</summary>
    public int ExitCode { get; }
}
