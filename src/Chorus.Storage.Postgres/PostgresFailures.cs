using System.Net.Sockets;
using Npgsql;

namespace Chorus.Storage.Postgres;

/// <summary>Turns PostgreSQL's and Npgsql's errors into the store interface's own failure, <see cref="ChatStoreException"/>.</summary>
internal static class PostgresFailures
{
    /// <summary>The store's failure for a database error, keeping the error as inner exception.</summary>
    public static ChatStoreException Wrap(Exception ex, string what) => new(KindOf(ex), $"{what} failed: {Describe(ex)}", ex);

    /// <summary>A store's failure after it was closed.</summary>
    public static ChatStoreException Closed(string store) => new(ChatStoreFailure.Closed, $"the {store} is closed");

    /// <summary>Whether <paramref name="ex"/> is an error of the database or of the way to it (what <see cref="Wrap"/> is for).</summary>
    public static bool IsDatabaseError(Exception ex) => ex is NpgsqlException or IOException or SocketException or TimeoutException;

    /// <summary>Whether the error broke the connection, or the server ended it (shutting down, terminated): pooled
    /// connections to it are likely broken too.</summary>
    public static bool IsConnectionError(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException or IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Whether the database rolled the transaction back because of another one (a deadlock, or a serialization
    /// failure): the same transaction may simply be run again.</summary>
    public static bool IsRetryable(Exception ex) => ex is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    /// <summary>Whether the error is about one statement's data or rules (the rest of a transaction could succeed without
    /// it), rather than about the connection or the server (which fails everything).</summary>
    public static bool IsStatementError(Exception ex) => ex switch
    {
        PostgresException pg => !IsRetryable(pg) && pg.SqlState[..2] is "22" or "23" or "42" or "P0" or "2B" or "44",
        InvalidOperationException or ArgumentException or FormatException => ex is not NpgsqlException,
        _ => false,
    };

    /// <summary>The kind of store failure an error is: a full disk is <see cref="ChatStoreFailure.Full"/>, a broken constraint
    /// or bad data <see cref="ChatStoreFailure.Conflict"/>, damaged data or a missing table <see cref="ChatStoreFailure.Corrupt"/>;
    /// everything else (no connection, server shutting down, out of resources, deadlock, no privilege) is
    /// <see cref="ChatStoreFailure.Unavailable"/>: it may succeed later.</summary>
    public static ChatStoreFailure KindOf(Exception ex) => ex is PostgresException pg ? pg.SqlState switch
    {
        PostgresErrorCodes.DiskFull => ChatStoreFailure.Full,
        PostgresErrorCodes.DataCorrupted or PostgresErrorCodes.IndexCorrupted or PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn => ChatStoreFailure.Corrupt,
        var s when s.StartsWith("23", StringComparison.Ordinal) || s.StartsWith("22", StringComparison.Ordinal) => ChatStoreFailure.Conflict,
        _ => ChatStoreFailure.Unavailable,
    } : ChatStoreFailure.Unavailable;

    // Npgsql's messages carry no connection string or password; a connection error's cause is in its inner exception.
    private static string Describe(Exception ex) => ex switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } npgsql => $"{npgsql.Message} ({inner.Message})",
        _ => ex.Message,
    };
}
