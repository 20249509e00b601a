using Npgsql;

namespace Chorus.Storage.Postgres;

/// <summary>Connection strings of the PostgreSQL stores: checked, turned into a data source, and described without secrets.</summary>
public static class PostgresConnection
{
    /// <summary>The application name the stores' connections carry (seen in <c>pg_stat_activity</c>) unless the connection
    /// string gives one.</summary>
    public const string ApplicationName = "chorus";

    /// <summary>How many statements each connection keeps prepared unless the connection string says otherwise
    /// (<c>Max Auto Prepare</c>).</summary>
    public const int DefaultMaxAutoPrepare = 64;

    private static bool HasKey(string connectionString, string key)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return parsed.ContainsKey(key) || parsed.ContainsKey(key.Replace(" ", "", StringComparison.Ordinal));
    }

    /// <summary>A pooled data source for <paramref name="connectionString"/>.</summary>
    /// <exception cref="ChatStoreException">The connection string is not valid (<see cref="ChatStoreFailure.Unavailable"/>;
    /// the message names the problem, never the password).</exception>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new ChatStoreException(ChatStoreFailure.Unavailable, $"the PostgreSQL connection string is not valid: {Redact(ex.Message, connectionString)}");
        }
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = ApplicationName;
        // The stores run a few dozen statements over and over: prepared once per connection, PostgreSQL parses and plans
        // them once rather than on every call (Npgsql's automatic preparation; "Max Auto Prepare=0" turns it off).
        if (!HasKey(connectionString, "Max Auto Prepare")) builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        try
        {
            return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new ChatStoreException(ChatStoreFailure.Unavailable, $"the PostgreSQL connection string is not valid: {Redact(ex.Message, connectionString, builder.Password)}");
        }
    }

    /// <summary>Where a connection string points, for messages: <c>host:port/database as user</c>, never the password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{b.Host ?? "localhost"}:{b.Port}/{b.Database ?? b.Username ?? "(default database)"}{(b.Username is { } user ? $" as {user}" : "")}";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            return "(a connection string that does not parse)";
        }
    }

    /// <summary><paramref name="message"/> with every occurrence of the password (and of the whole connection string) cut out.</summary>
    public static string Redact(string message, string connectionString, string? password = null)
    {
        if (password is null)
        {
            try { password = new NpgsqlConnectionStringBuilder(connectionString).Password; }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException) { }
        }
        if (connectionString.Length > 0) message = message.Replace(connectionString, "(the connection string)", StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(password)) message = message.Replace(password, "***", StringComparison.Ordinal);
        return message;
    }
}
