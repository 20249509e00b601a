using Microsoft.Data.Sqlite;

namespace Chorus.Storage.Sqlite;

/// <summary>
/// Commands kept prepared on one connection, by SQL text, so that a statement run on every message is parsed once
/// rather than on every run (Microsoft.Data.Sqlite keeps a statement prepared only for the life of its command; it has
/// no cache across commands: dotnet/efcore#14044). Used only by the writer thread; not thread-safe.
/// </summary>
internal sealed class PreparedStatements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>
    /// The command for <paramref name="sql"/> in <paramref name="transaction"/>, with <paramref name="values"/> bound
    /// to its parameters in order (named @p0, @p1, ... in the SQL).
    /// </summary>
    public SqliteCommand Bind(string sql, SqliteTransaction transaction, params ReadOnlySpan<object?> values)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            for (int i = 0; i < values.Length; i++) command.Parameters.Add(new SqliteParameter("@p" + i, null));
            _commands[sql] = command;
        }
        command.Transaction = transaction;
        for (int i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
        return command;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        _commands.Clear();
    }
}
