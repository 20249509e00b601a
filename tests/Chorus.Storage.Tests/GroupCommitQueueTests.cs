using System.Collections.Concurrent;
using Chorus.Storage.GroupCommit;

namespace Chorus.Storage.Tests;

/// <summary>The group-commit queue on its own, against a recording database (no real one): batching, a savepoint per
/// operation, completion after commit only, hooks in batch order, retries, draining on dispose.</summary>
public sealed class GroupCommitQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GroupCommitQueue<string, string> Queue(RecordingDatabase db, int maxBatch = 512, int maxAttempts = 1, string? thread = null) =>
        new(db, new GroupCommitOptions { MaxBatch = maxBatch, MaxAttempts = maxAttempts, DedicatedThreadName = thread, Closed = () => new ChatStoreException(ChatStoreFailure.Closed, "closed") });

    [Fact]
    public async Task Operations_queued_while_a_batch_commits_share_the_next_commit_up_to_the_batch_size()
    {
        var db = new RecordingDatabase { HoldCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var queue = Queue(db, maxBatch: 4);
        var first = queue.EnqueueAsync("first", Ct);
        await db.CommitReached.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct); // the first batch is committing
        var later = Enumerable.Range(0, 6).Select(i => queue.EnqueueAsync($"op{i}", Ct)).ToArray();
        db.HoldCommit.SetResult();
        Assert.Equal("done:first", await first);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"done:op{i}"), await Task.WhenAll(later));
        Assert.Equal([1, 4, 2], db.CommittedBatches.Select(b => b.Count));
        Assert.Equal(3, queue.Commits);
    }

    [Fact]
    public async Task A_failing_operation_is_rolled_back_to_its_savepoint_and_fails_alone()
    {
        var db = new RecordingDatabase { HoldCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var queue = Queue(db);
        var blocker = queue.EnqueueAsync("blocker", Ct);
        await db.CommitReached.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var a = queue.EnqueueAsync("a", Ct);
        var bad = queue.EnqueueAsync("fail:b", Ct);
        var c = queue.EnqueueAsync("c", Ct);
        db.HoldCommit.SetResult();
        await blocker;
        Assert.Equal("done:a", await a);
        var failure = await Assert.ThrowsAsync<ArgumentException>(() => bad);
        Assert.Equal("b is bad", failure.Message);
        Assert.Equal("done:c", await c);
        Assert.Equal(["begin", "save", "run a", "release", "save", "run fail:b", "rollback to save", "save", "run c", "release", "commit", "dispose",
            "hook a", "hook c"], db.Log.Skip(db.Log.LastIndexOf("begin")));
        Assert.Equal(["a", "c"], db.CommittedBatches[^1]); // what the failed one wrote is not in the commit
    }

    [Fact]
    public async Task A_batch_that_runs_whole_runs_again_one_savepoint_per_operation_when_one_fails()
    {
        var db = new RecordingDatabase { RunsWhole = true, HoldCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var queue = Queue(db);
        var blocker = queue.EnqueueAsync("blocker", Ct);
        await db.CommitReached.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var ops = new[] { "a", "fail:b", "c" }.Select(op => queue.EnqueueAsync(op, Ct)).ToArray();
        db.HoldCommit.SetResult();
        await blocker;
        Assert.Equal("done:a", await ops[0]);
        await Assert.ThrowsAsync<ArgumentException>(() => ops[1]);
        Assert.Equal("done:c", await ops[2]);
        Assert.Equal(["begin", "run all 3", "dispose", "begin", "save", "run a", "release", "save", "run fail:b", "rollback to save", "save", "run c", "release", "commit", "dispose",
            "hook a", "hook c"], db.Log.Skip(db.Log.IndexOf("run all 3") - 1));
        Assert.Equal(2, queue.Commits);
    }

    [Fact]
    public async Task Callers_complete_only_after_the_commit_and_hooks_run_in_batch_order_before_them()
    {
        var db = new RecordingDatabase { HoldCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var queue = Queue(db);
        var blocker = queue.EnqueueAsync("blocker", Ct);
        await db.CommitReached.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(blocker.IsCompleted); // ran, not yet committed
        var ops = new[] { "x1", "fail:x2", "x3", "hookfails:x4", "x5" }.Select(op => queue.EnqueueAsync(op, Ct)).ToArray();
        db.SeenAtHook = () => ops.Select(t => t.IsCompleted).ToArray();
        db.HoldCommit.SetResult();
        await blocker;
        await Task.WhenAll(ops.Where((_, i) => i != 1));
        await Assert.ThrowsAsync<ArgumentException>(() => ops[1]);
        Assert.Equal(["blocker", "x1", "x3", "hookfails:x4", "x5"], db.Hooks); // in batch order, not for the failed one
        Assert.True(db.Log.LastIndexOf("commit") < db.Log.IndexOf("hook x1"), string.Join(", ", db.Log)); // after the commit
        Assert.All(db.CompletedAtHook, done => Assert.DoesNotContain(true, done)); // no caller of the batch released before the hooks ran
        Assert.Equal("done:x5", await ops[4]); // a hook's failure changes nothing
    }

    [Fact]
    public async Task A_failed_commit_fails_the_whole_batch_runs_no_hook_and_the_writer_goes_on()
    {
        var db = new RecordingDatabase { FailCommits = 1 };
        await using var queue = Queue(db);
        var failed = await Assert.ThrowsAsync<ChatStoreException>(() => queue.EnqueueAsync("lost", Ct));
        Assert.Equal("batch failed: disk gone", failed.Message);
        Assert.Empty(db.Hooks);
        Assert.Equal("done:next", await queue.EnqueueAsync("next", Ct));
        Assert.Equal(1, queue.Commits);
    }

    [Fact]
    public async Task A_batch_the_database_broke_off_runs_again_up_to_the_attempts_allowed()
    {
        var db = new RecordingDatabase { RetryableCommits = 2 };
        await using (var queue = Queue(db, maxAttempts: 3))
        {
            Assert.Equal("done:a", await queue.EnqueueAsync("a", Ct));
            Assert.Equal((2L, 1L), (queue.Retries, queue.Commits));
            Assert.Equal(3, db.Log.Count(e => e == "run a"));
        }

        var exhausted = new RecordingDatabase { RetryableCommits = 5 };
        await using (var queue = Queue(exhausted, maxAttempts: 3))
        {
            var failure = await Assert.ThrowsAsync<ChatStoreException>(() => queue.EnqueueAsync("a", Ct));
            Assert.Equal("batch failed: deadlock", failure.Message);
            Assert.Equal((2L, 0L), (queue.Retries, queue.Commits));
        }
    }

    [Fact]
    public async Task Dispose_drains_what_is_queued_and_later_calls_fail_with_the_closed_failure()
    {
        var db = new RecordingDatabase { HoldCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var queue = Queue(db, maxBatch: 10);
        // (no cancellation token: the tasks are the queue's own, complete when the writer completes them)
        var first = queue.EnqueueAsync("first", CancellationToken.None);
        await db.CommitReached.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var queued = Enumerable.Range(0, 25).Select(i => queue.EnqueueAsync($"q{i}", CancellationToken.None)).ToArray();
        var disposing = queue.DisposeAsync().AsTask();
        Assert.True(queue.IsClosed);
        var late = await Assert.ThrowsAsync<ChatStoreException>(() => queue.EnqueueAsync("late", Ct));
        Assert.Equal(ChatStoreFailure.Closed, late.Kind);
        Assert.False(disposing.IsCompleted);
        db.HoldCommit.SetResult();
        await disposing.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.All(queued, t => Assert.True(t.IsCompletedSuccessfully)); // all committed before dispose returned
        Assert.DoesNotContain("run late", db.Log);
        Assert.Equal(26, db.CommittedBatches.Sum(b => b.Count));
        await queue.DisposeAsync(); // again: nothing happens
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting_but_its_operation_still_commits()
    {
        var db = new RecordingDatabase { HoldCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var queue = Queue(db);
        using var cancel = new CancellationTokenSource();
        var waiting = queue.EnqueueAsync("kept", cancel.Token);
        await db.CommitReached.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        db.HoldCommit.SetResult();
        Assert.Equal("done:after", await queue.EnqueueAsync("after", Ct));
        Assert.Contains(db.CommittedBatches, b => b.Contains("kept"));
    }

    [Fact]
    public async Task A_dedicated_writer_thread_runs_every_batch()
    {
        var db = new RecordingDatabase();
        await using var queue = Queue(db, thread: "test-writer");
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => queue.EnqueueAsync($"t{i}", Ct)));
        Assert.Equal(["test-writer"], db.Threads.Distinct());
    }

    /// <summary>
    /// Records every call in <see cref="Log"/>. An operation "fail:X" throws its own failure (an ArgumentException); one
    /// starting "hookfails:" throws from its hook. Commits can be held (<see cref="HoldCommit"/>), fail, or fail as retryable.
    /// </summary>
    [Fact]
    public async Task A_transaction_that_fails_to_close_after_its_commit_is_still_committed_its_hooks_run_and_callers_succeed()
    {
        var db = new RecordingDatabase { FailDisposes = 1 };
        await using var queue = Queue(db);
        Assert.Equal("done:kept", await queue.EnqueueAsync("kept", Ct));
        Assert.Equal(["kept"], db.Hooks);
        Assert.Equal(1, queue.Commits);
        // Before the commit, a failure to close still fails the batch (nothing was stored).
        var before = new RecordingDatabase { FailCommits = 1, FailDisposes = 1 };
        await using var second = Queue(before);
        await Assert.ThrowsAsync<ChatStoreException>(() => second.EnqueueAsync("lost", Ct));
        Assert.Empty(before.Hooks);
    }

    private sealed class RecordingDatabase : IGroupCommitDatabase<string, string>
    {
        private readonly object _gate = new();
        public List<string> Log { get; } = [];
        public List<List<string>> CommittedBatches { get; } = [];
        public List<string> Hooks { get; } = [];
        public ConcurrentBag<string?> Threads { get; } = [];
        public bool RunsWhole { get; init; }
        public TaskCompletionSource? HoldCommit { get; init; }
        public TaskCompletionSource CommitReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int FailCommits { get; set; }
        public int FailDisposes { get; set; }
        public int RetryableCommits { get; set; }
        public Func<bool[]>? SeenAtHook { get; set; }
        public List<bool[]> CompletedAtHook { get; } = [];

        public void Record(string entry)
        {
            lock (_gate) Log.Add(entry);
        }

        public ValueTask<IGroupCommitTransaction<string, string>> BeginAsync()
        {
            Record("begin");
            Threads.Add(Thread.CurrentThread.Name);
            return new(new RecordingTransaction(this));
        }

        public Exception? OperationFailure(Exception error) => error as ArgumentException;

        public bool IsRetryable(Exception error) => error is TimeoutException;

        public Exception BatchFailure(Exception error) => new ChatStoreException(ChatStoreFailure.Unavailable, $"batch failed: {error.Message}", error);

        public void AfterCommit(string operation, string result)
        {
            Record($"hook {operation}");
            Hooks.Add(operation);
            if (SeenAtHook is { } seen) CompletedAtHook.Add(seen());
            if (operation.StartsWith("hookfails:", StringComparison.Ordinal)) throw new InvalidOperationException("hook broke");
        }

        private sealed class RecordingTransaction(RecordingDatabase db) : IGroupCommitTransaction<string, string>
        {
            private readonly List<string> _written = [];
            private int _savepointAt;

            public ValueTask<bool> TryRunAllAsync(IReadOnlyList<string> operations, string[] results)
            {
                if (!db.RunsWhole) return new(false);
                db.Record($"run all {operations.Count}");
                for (int i = 0; i < operations.Count; i++) results[i] = Run(operations[i], log: false);
                return new(true);
            }

            public ValueTask<string> RunAsync(string operation) => new(Run(operation, log: true));

            private string Run(string operation, bool log)
            {
                if (log) db.Record($"run {operation}");
                if (operation.StartsWith("fail:", StringComparison.Ordinal)) throw new ArgumentException($"{operation[5..]} is bad");
                _written.Add(operation);
                return "done:" + operation;
            }

            public ValueTask SavepointAsync()
            {
                db.Record("save");
                _savepointAt = _written.Count;
                return default;
            }

            public ValueTask ReleaseSavepointAsync()
            {
                db.Record("release");
                return default;
            }

            public ValueTask RollbackToSavepointAsync()
            {
                db.Record("rollback to save");
                _written.RemoveRange(_savepointAt, _written.Count - _savepointAt);
                return default;
            }

            public async ValueTask CommitAsync()
            {
                db.CommitReached.TrySetResult();
                if (db.HoldCommit is { } hold) await hold.Task;
                if (db.FailCommits > 0) { db.FailCommits--; throw new IOException("disk gone"); }
                if (db.RetryableCommits > 0) { db.RetryableCommits--; throw new TimeoutException("deadlock"); }
                db.Record("commit");
                lock (db._gate) db.CommittedBatches.Add([.. _written]);
            }

            public ValueTask DisposeAsync()
            {
                db.Record("dispose");
                if (db.FailDisposes > 0) { db.FailDisposes--; throw new IOException("connection lost while closing"); }
                return default;
            }
        }
    }
}
