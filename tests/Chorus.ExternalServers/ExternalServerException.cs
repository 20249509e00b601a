namespace Chorus.ExternalServers;

/// <summary>
/// An external server (redis-server, PostgreSQL, a Chorus node) could not be found or started. The message names what
/// is missing and how to install it: tests that need the server fail with it, never skip.
/// </summary>
public sealed class ExternalServerException : Exception
{
    public ExternalServerException(string message) : base(message) { }

    public ExternalServerException(string message, Exception inner) : base(message, inner) { }
}
