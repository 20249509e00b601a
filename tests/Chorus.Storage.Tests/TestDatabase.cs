namespace Chorus.Storage.Tests;

/// <summary>Fresh PostgreSQL databases for the PostgreSQL store tests.</summary>
internal static class TestDatabase
{
    /// <summary>A connection string to a new, empty database.</summary>
    public static async Task<string> CreateAsync()
    {
        const string admin = "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres;Pooling=false";
        string name = $"chorus_test_{Guid.NewGuid():N}";
        await using var c = new Npgsql.NpgsqlConnection(admin);
        await c.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", c);
        await cmd.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port=55432;Username=postgres;Database={name}";
    }
}
