using System.Threading.Channels;

namespace Chorus.Storage.GroupCommit;

/// <summary>How a <see cref="GroupCommitQueue{TOperation, TResult}"/> batches, retries and closes.</summary>
public sealed record GroupCommitOptions
{
    /// <summary>Most operations committed together (default 512).</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>How many times a batch runs at most when the database breaks it off for another transaction
    /// (<see cref="IGroupCommitDatabase{TOperation, TResult}.IsRetryable"/>); 1 = never again (default).</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>
    /// When set, the writer runs on a dedicated thread of this name rather than on the thread pool: for a database whose
    /// work is synchronous (it blocks the writer for each fsync), so that it never holds a thread-pool thread. Its
    /// <see cref="IGroupCommitTransaction{TOperation, TResult}"/> then completes synchronously, or the writer blocks on it.
    /// </summary>
    public string? DedicatedThreadName { get; init; }

    /// <summary>The exception a call gets once the queue is closed (disposed), such as the store's "closed" failure.</summary>
    public required Func<Exception> Closed { get; init; }
}

/// <summary>
/// Group commit: callers enqueue operations and await them; one writer takes whatever is queued (up to
/// <see cref="GroupCommitOptions.MaxBatch"/>) as one batch, runs it in one transaction, commits, then runs the after-commit
/// hooks in batch order and only then completes each caller, with its result or its own failure. So many callers share one
/// commit (one fsync), and a task that completed successfully means its operation is durable.
/// </summary>
/// <remarks>
/// Each operation runs in its own savepoint: one that fails on its own (see
/// <see cref="IGroupCommitDatabase{TOperation, TResult}.OperationFailure"/>) is rolled back to it and fails alone, the others
/// commit. A database that can run a batch whole (<see cref="IGroupCommitTransaction{TOperation, TResult}.TryRunAllAsync"/>)
/// runs it so first, and again one operation per savepoint only when one of them fails. A batch the database broke off for
/// another transaction runs again, up to <see cref="GroupCommitOptions.MaxAttempts"/>; any other failure (beginning or
/// committing the transaction, a lost connection) fails every operation of the batch, and the writer goes on with the next.
/// An operation is not withdrawn when its caller's cancellation token fires: the caller stops waiting, the write still lands.
/// <see cref="DisposeAsync"/> stops taking operations, finishes every queued one, then returns; later calls fail with
/// <see cref="GroupCommitOptions.Closed"/>.
/// </remarks>
/// <typeparam name="TOperation">What a caller enqueues.</typeparam>
/// <typeparam name="TResult">What a caller gets back once its operation committed.</typeparam>
public sealed class GroupCommitQueue<TOperation, TResult> : IAsyncDisposable
{
    private readonly IGroupCommitDatabase<TOperation, TResult> _database;
    private readonly GroupCommitOptions _options;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _commits;
    private long _retries;
    private int _closed;

    /// <summary>Creates the queue and starts its writer.</summary>
    /// <param name="database">The database the batches are written to.</param>
    /// <param name="options">Batch size, retries, the writer's thread and the closed failure.</param>
    public GroupCommitQueue(IGroupCommitDatabase<TOperation, TResult> database, GroupCommitOptions options)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _database = database;
        _options = options;
        if (options.DedicatedThreadName is { } name)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try { WriteLoopAsync(synchronous: true).GetAwaiter().GetResult(); }
                finally { done.TrySetResult(); }
            }) { IsBackground = true, Name = name };
            thread.Start();
            _writer = done.Task;
        }
        else
        {
            _writer = Task.Run(() => WriteLoopAsync(synchronous: false));
        }
    }

    /// <summary>Transactions committed so far (each may hold many operations).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Batches run again so far because the database broke their transaction off for another one.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Whether <see cref="DisposeAsync"/> was called: the queue takes no more operations.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Queues <paramref name="operation"/>; the task completes once its batch committed (with its result or its own
    /// failure), or fails with the batch's failure.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Stops waiting; the operation is not withdrawn.</param>
    /// <exception cref="Exception">The <see cref="GroupCommitOptions.Closed"/> failure once the queue is closed.</exception>
    public Task<TResult> EnqueueAsync(TOperation operation, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(operation);
        if (!_queue.Writer.TryWrite(pending)) return Task.FromException<TResult>(_options.Closed());
        return cancellationToken.CanBeCanceled ? pending.Done.Task.WaitAsync(cancellationToken) : pending.Done.Task;
    }

    /// <summary>Stops taking operations, finishes the queued ones, and returns once the writer stopped. Safe to call again.</summary>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, 1);
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(bool synchronous)
    {
        var batch = new List<Pending>(_options.MaxBatch);
        var operations = new List<TOperation>(_options.MaxBatch);
        var reader = _queue.Reader;
        while (synchronous ? reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult() : await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            operations.Clear();
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                operations.Add(pending.Operation);
            }
            try
            {
                var run = CommitBatchAsync(batch, operations);
                if (synchronous) run.GetAwaiter().GetResult();
                else await run.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the writer goes on: the batch's operations fail, later ones are not left waiting.
                var failure = _database.BatchFailure(ex);
                foreach (var pending in batch) pending.Done.TrySetException(failure);
            }
        }
    }

    private async Task CommitBatchAsync(List<Pending> batch, List<TOperation> operations)
    {
        var results = new TResult[batch.Count];
        var errors = new Exception?[batch.Count];
        bool oneByOne = false;
        for (int attempt = 1; ; attempt++)
        {
            Array.Clear(results);
            Array.Clear(errors);
            try
            {
                var tx = await _database.BeginAsync().ConfigureAwait(false);
                bool committed = false;
                try
                {
                    bool ranAll = false;
                    if (!oneByOne)
                    {
                        try
                        {
                            ranAll = await tx.TryRunAllAsync(operations, results).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (_database.OperationFailure(ex) is not null)
                        {
                            oneByOne = true; // the transaction is rolled back on dispose; the attempt does not count
                            attempt--;
                            continue;
                        }
                    }
                    if (!ranAll)
                    {
                        for (int i = 0; i < batch.Count; i++)
                        {
                            await tx.SavepointAsync().ConfigureAwait(false);
                            try
                            {
                                results[i] = await tx.RunAsync(operations[i]).ConfigureAwait(false);
                                await tx.ReleaseSavepointAsync().ConfigureAwait(false);
                            }
                            catch (Exception ex) when (_database.OperationFailure(ex) is { } failure)
                            {
                                await tx.RollbackToSavepointAsync().ConfigureAwait(false);
                                results[i] = default!;
                                errors[i] = failure;
                            }
                        }
                    }
                    await tx.CommitAsync().ConfigureAwait(false);
                    committed = true;
                }
                finally
                {
                    // Closing the transaction may fail after a commit (a connection lost then): the batch is durable all the same.
                    try { await tx.DisposeAsync().ConfigureAwait(false); }
                    catch (Exception) when (committed) { }
                }
                Interlocked.Increment(ref _commits);
                break;
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts && _database.IsRetryable(ex))
            {
                Interlocked.Increment(ref _retries);
            }
        }
        // Committed: the after-commit hooks in batch order first, then the callers.
        for (int i = 0; i < batch.Count; i++)
        {
            if (errors[i] is not null) continue;
            try { _database.AfterCommit(operations[i], results[i]); }
            catch (Exception) { /* a hook's failure must not stop the writer: the write stands */ }
        }
        for (int i = 0; i < batch.Count; i++)
        {
            if (errors[i] is { } e) batch[i].Done.TrySetException(e);
            else batch[i].Done.TrySetResult(results[i]);
        }
    }

    private sealed class Pending(TOperation operation)
    {
        public TOperation Operation { get; } = operation;
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
