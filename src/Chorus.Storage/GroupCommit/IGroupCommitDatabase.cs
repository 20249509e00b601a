namespace Chorus.Storage.GroupCommit;

/// <summary>
/// The database side of a <see cref="GroupCommitQueue{TOperation, TResult}"/>: how a batch's transaction is begun, how one
/// operation runs in it, and how the database's errors are sorted (one operation's own failure, a transaction the database
/// broke off that may simply run again, or anything else, which fails the whole batch). Called from the queue's one writer
/// only, never concurrently.
/// </summary>
/// <typeparam name="TOperation">What a caller enqueues.</typeparam>
/// <typeparam name="TResult">What a caller gets back once its operation committed.</typeparam>
public interface IGroupCommitDatabase<TOperation, TResult>
{
    /// <summary>Begins the transaction of one batch (opening a connection if needed).</summary>
    ValueTask<IGroupCommitTransaction<TOperation, TResult>> BeginAsync();

    /// <summary>
    /// The exception the operation's caller gets when <paramref name="error"/>, thrown while the operation ran, is that
    /// operation's own failure (bad data, a broken rule): the operation is rolled back to its savepoint and fails alone.
    /// Null when the error is not the operation's own (a lost connection, a failed database): then the whole batch fails.
    /// </summary>
    Exception? OperationFailure(Exception error);

    /// <summary>Whether the database broke the transaction off because of another one (a deadlock, a serialization
    /// failure), so that the same batch may run again from the start.</summary>
    bool IsRetryable(Exception error);

    /// <summary>The exception every caller of a batch gets when the batch fails as a whole with <paramref name="error"/>
    /// (beginning, running or committing it; or a retryable error after the last attempt). Nothing of the batch is stored.</summary>
    Exception BatchFailure(Exception error);

    /// <summary>Called once the batch committed, for each operation that succeeded, in batch order, before any caller of the
    /// batch is released. Should not block (it holds the writer): Chorus's chat hook waits only while its delivery stage is full,
    /// which is the stage's backpressure on writes. An exception from it is ignored (the write stands).</summary>
    void AfterCommit(TOperation operation, TResult result);
}

/// <summary>The transaction of one batch (see <see cref="IGroupCommitDatabase{TOperation, TResult}.BeginAsync"/>). Disposing
/// it without <see cref="CommitAsync"/> rolls it back.</summary>
/// <typeparam name="TOperation">What a caller enqueues.</typeparam>
/// <typeparam name="TResult">What a caller gets back once its operation committed.</typeparam>
public interface IGroupCommitTransaction<TOperation, TResult> : IAsyncDisposable
{
    /// <summary>
    /// Runs the whole batch at once without savepoints (a database that can write many operations with a few statements),
    /// filling <paramref name="results"/>; returns false, doing nothing, when this database has no such way (the queue then
    /// runs each operation in a savepoint of its own). When it throws one operation's failure (see
    /// <see cref="IGroupCommitDatabase{TOperation, TResult}.OperationFailure"/>), the queue rolls the transaction back and
    /// runs the batch again one operation per savepoint, so that the failure stays that operation's.
    /// </summary>
    ValueTask<bool> TryRunAllAsync(IReadOnlyList<TOperation> operations, TResult[] results);

    /// <summary>Runs one operation; its result is given to its caller once the transaction committed.</summary>
    ValueTask<TResult> RunAsync(TOperation operation);

    /// <summary>Sets the savepoint that <see cref="ReleaseSavepointAsync"/> and <see cref="RollbackToSavepointAsync"/> refer to.</summary>
    ValueTask SavepointAsync();

    /// <summary>Keeps what ran since <see cref="SavepointAsync"/>.</summary>
    ValueTask ReleaseSavepointAsync();

    /// <summary>Undoes what ran since <see cref="SavepointAsync"/>; the transaction goes on.</summary>
    ValueTask RollbackToSavepointAsync();

    /// <summary>Commits: once it returns, the batch is durable.</summary>
    ValueTask CommitAsync();
}
