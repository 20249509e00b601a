using Chorus.ExternalServers;

namespace Chorus.Storage.Tests;

/// <summary>Fresh PostgreSQL databases for the PostgreSQL store tests, on the test run's own server
/// (<see cref="PostgresServer"/>; a test fails with what is missing when it cannot start).</summary>
internal static class TestDatabase
{
    /// <summary>A connection string to a new, empty database.</summary>
    public static async Task<string> CreateAsync()
    {
        var server = await PostgresServer.GetSharedAsync();
        return await server.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
