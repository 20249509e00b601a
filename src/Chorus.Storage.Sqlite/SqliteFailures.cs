using Microsoft.Data.Sqlite;

namespace Chorus.Storage.Sqlite;

/// <summary>Turns SQLite's errors into the store interface's own failure, <see cref="ChatStoreException"/>.</summary>
internal static class SqliteFailures
{
    /// <summary>The store's failure for a SQLite error, keeping the error as inner exception.</summary>
    public static ChatStoreException Wrap(SqliteException ex, string what) => new(KindOf(ex), $"{what} failed: {ex.Message}", ex);

    /// <summary>A store's failure after it was closed.</summary>
    public static ChatStoreException Closed(string store) => new(ChatStoreFailure.Closed, $"the {store} is closed");

    // SQLite's primary result codes (https://www.sqlite.org/rescode.html); extended codes carry the primary one in the low byte.
    private const int SqliteCorrupt = 11, SqliteFull = 13, SqliteConstraint = 19, SqliteNotADatabase = 26;

    /// <summary>The kind of store failure a SQLite error is: busy, locked, I/O and open errors are
    /// <see cref="ChatStoreFailure.Unavailable"/> (may succeed later).</summary>
    public static ChatStoreFailure KindOf(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) switch
    {
        SqliteFull => ChatStoreFailure.Full,
        SqliteConstraint => ChatStoreFailure.Conflict,
        SqliteCorrupt or SqliteNotADatabase => ChatStoreFailure.Corrupt,
        _ => ChatStoreFailure.Unavailable,
    };
}
