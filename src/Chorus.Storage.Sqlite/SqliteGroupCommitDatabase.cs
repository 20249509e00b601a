using Chorus.Storage.GroupCommit;
using Microsoft.Data.Sqlite;

namespace Chorus.Storage.Sqlite;

/// <summary>
/// The SQLite side of a <see cref="GroupCommitQueue{TOperation, TResult}"/> on one connection: a batch is one
/// <c>BEGIN IMMEDIATE</c> transaction (the write lock is taken before the first read, so each operation's look-ups and its
/// writes are one atomic step even if another process writes the same file), savepoints are SQLite's. SQLite's work is
/// synchronous: every call completes before it returns, so the queue's dedicated writer thread runs it without a hop.
/// SQLite never breaks a transaction off for another one (a busy file waits <c>busy_timeout</c>, then fails), so nothing
/// is retried.
/// </summary>
internal abstract class SqliteGroupCommitDatabase<TOperation, TResult>(SqliteConnection connection) : IGroupCommitDatabase<TOperation, TResult>
{
    /// <summary>The writer's connection.</summary>
    protected SqliteConnection Connection => connection;

    /// <inheritdoc />
    public ValueTask<IGroupCommitTransaction<TOperation, TResult>> BeginAsync() =>
        new(new Transaction(this, connection.BeginTransaction(deferred: false)));

    /// <summary>Runs one operation in <paramref name="transaction"/>.</summary>
    protected abstract TResult Run(SqliteTransaction transaction, TOperation operation);

    /// <summary>Runs the whole batch without savepoints, or returns false (the default: one savepoint per operation).</summary>
    protected virtual bool TryRunAll(SqliteTransaction transaction, IReadOnlyList<TOperation> operations, TResult[] results) => false;

    /// <inheritdoc />
    public abstract Exception? OperationFailure(Exception error);

    /// <inheritdoc />
    public bool IsRetryable(Exception error) => false;

    /// <inheritdoc />
    public abstract Exception BatchFailure(Exception error);

    /// <inheritdoc />
    public virtual void AfterCommit(TOperation operation, TResult result)
    {
    }

    private sealed class Transaction(SqliteGroupCommitDatabase<TOperation, TResult> database, SqliteTransaction transaction) : IGroupCommitTransaction<TOperation, TResult>
    {
        private const string Savepoint = "op";

        public ValueTask<bool> TryRunAllAsync(IReadOnlyList<TOperation> operations, TResult[] results) => new(database.TryRunAll(transaction, operations, results));

        public ValueTask<TResult> RunAsync(TOperation operation) => new(database.Run(transaction, operation));

        public ValueTask SavepointAsync()
        {
            transaction.Save(Savepoint);
            return default;
        }

        public ValueTask ReleaseSavepointAsync()
        {
            transaction.Release(Savepoint);
            return default;
        }

        public ValueTask RollbackToSavepointAsync()
        {
            transaction.Rollback(Savepoint);
            return default;
        }

        public ValueTask CommitAsync()
        {
            transaction.Commit();
            return default;
        }

        public ValueTask DisposeAsync()
        {
            transaction.Dispose();
            return default;
        }
    }
}
