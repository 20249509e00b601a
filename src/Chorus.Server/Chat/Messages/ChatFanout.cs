using System.Threading.Channels;
using Chorus.Protocol;
using Chorus.Storage;
using Microsoft.Extensions.Logging;

namespace Chorus.Server.Chat;

/// <summary>
/// Chat's delivery stage, apart from the store's commit: the store's writer hands each committed message over (in commit
/// order, <see cref="EnqueueCommitted"/>) and goes on with the next batch; a send is acknowledged once it is committed and
/// hands its conversation notifications over (<see cref="EnqueueNotificationsAsync"/>) without waiting for them (it waits
/// only until its own live frames are queued, which the loop does as it takes them, never after a store read). One loop
/// takes both from one bounded channel, in order: live messages are encoded and queued to their recipients as they come
/// (so every receiver sees a conversation in sequence order, and a message before the notifications it causes);
/// the notifications taken together are coalesced per conversation (the newest message's wins) and read from the store
/// concurrently.
/// </summary>
/// <remarks>
/// Overflow: the channel holds <see cref="Capacity"/> items (and the loop holds at most 2,048 coalesced notifications
/// besides). When it is full the producer waits for room: the store's writer in its after-commit hook (a committed
/// message is never dropped from live delivery; writes slow down instead), or the send. Each wait is counted in
/// <see cref="OverflowWaits"/> and logged at most once a minute. At shutdown the stage closes before the store drains its
/// last writes: those are not delivered live (their receivers catch up by sequence) and count as no overflow.
/// </remarks>
public sealed partial class ChatFanout : IAsyncDisposable
{
    /// <summary>Items the stage holds before a producer waits.</summary>
    public const int Capacity = 65_536;

    private const int MaxNotificationsPerRound = 512;
    private const int MaxNotificationsHeld = 4 * MaxNotificationsPerRound;
    private static readonly ParallelOptions s_notifyParallelism = new() { MaxDegreeOfParallelism = 8 };

    private readonly Channel<Item> _items = Channel.CreateBounded<Item>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true, FullMode = BoundedChannelFullMode.Wait, AllowSynchronousContinuations = false,
    });
    private readonly IChatStore _store;
    private readonly IChatPresence _users;
    private readonly ILogger<ChatFanout> _logger;
    private readonly TimeProvider _time;
    private readonly Task _loop;
    private long _overflowWaits;
    private long _pending;
    private long _lastOverflowLog = long.MinValue;
    private volatile bool _closed;

    /// <summary>Creates the stage and starts its loop.</summary>
    public ChatFanout(IChatStore store, IChatPresence users, TimeProvider time, ILogger<ChatFanout> logger)
    {
        _store = store;
        _users = users;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How often a producer had to wait because the stage was full.</summary>
    public long OverflowWaits => Interlocked.Read(ref _overflowWaits);

    /// <summary>Items handed over and not yet done.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>
    /// A message was committed (called by the store's writer after the commit, in commit order): its live delivery to
    /// <paramref name="recipients"/> (the sender's other devices included; the sender's own connection excluded by the presence).
    /// <paramref name="queued"/> completes once its frames (and those of every message committed before it) are queued to
    /// their recipients: the send waits for it before it answers, so that a connection always sees the live frames of
    /// earlier messages before the answer to its own (its client orders by sequence and would take the earlier one for old).
    /// </summary>
    public void EnqueueCommitted(uint appId, string sender, ConversationType type, StoredMessage committed, IReadOnlyList<string> recipients, TaskCompletionSource? queued = null) =>
        Write(new Item(appId, sender, type, committed, recipients, Live: true, queued));

    /// <summary>A send was committed: the conversation and unread notifications of <paramref name="recipients"/> follow, unordered.</summary>
    public ValueTask EnqueueNotificationsAsync(uint appId, string sender, IReadOnlyList<string> recipients, StoredMessage record)
    {
        var item = new Item(appId, sender, record.ConversationType, record, recipients, Live: false, Queued: null);
        Interlocked.Increment(ref _pending);
        if (_items.Writer.TryWrite(item)) return ValueTask.CompletedTask;
        if (_closed)
        {
            Interlocked.Decrement(ref _pending); // stopping: nothing more is delivered
            return ValueTask.CompletedTask;
        }
        CountOverflow();
        return WriteSlowAsync(item);
    }

    private async ValueTask WriteSlowAsync(Item item)
    {
        try
        {
            await _items.Writer.WriteAsync(item);
        }
        catch (ChannelClosedException)
        {
            Interlocked.Decrement(ref _pending); // stopping: nothing more is delivered
        }
    }

    private void Write(Item item)
    {
        Interlocked.Increment(ref _pending);
        if (_items.Writer.TryWrite(item)) return;
        if (_closed)
        {
            // Stopping (the store drains its last writes after the stage closed): not delivered live; receivers catch up by sequence.
            Interlocked.Decrement(ref _pending);
            item.Queued?.TrySetResult();
            return;
        }
        CountOverflow();
        // The writer's thread waits for room: live delivery keeps every committed message, in order.
        try
        {
            _items.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            Interlocked.Decrement(ref _pending); // stopping: nothing more is delivered, and nobody waits for it
            item.Queued?.TrySetResult();
        }
    }

    private void CountOverflow()
    {
        Interlocked.Increment(ref _overflowWaits);
        long now = _time.GetTimestamp();
        long last = Interlocked.Read(ref _lastOverflowLog);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1)) return;
        if (Interlocked.CompareExchange(ref _lastOverflowLog, now, last) == last) Log.Overflow(_logger, Capacity, OverflowWaits);
    }

    /// <summary>Waits until everything handed over so far is done (tests; shutdown).</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken = default)
    {
        while (Pending > 0) await Task.Delay(1, cancellationToken);
    }

    private async Task RunAsync()
    {
        var reader = _items.Reader;
        var notifications = new Dictionary<(uint, ConversationType, string), Item>();
        Task inFlight = Task.CompletedTask;
        while (notifications.Count > 0 || await reader.WaitToReadAsync())
        {
            // Live items are taken as they come; notifications are held, coalesced, up to a limit, past which the channel's
            // own bound holds the producers back again.
            while (notifications.Count < MaxNotificationsHeld && reader.TryRead(out var item))
            {
                if (item.Live)
                {
                    Deliver(item);
                    item.Queued?.TrySetResult();
                    Interlocked.Decrement(ref _pending);
                    continue;
                }
                // Only the newest message of a conversation matters to its notification: it is the last message shown.
                var key = KeyOf(item);
                if (notifications.TryGetValue(key, out var earlier))
                {
                    Interlocked.Decrement(ref _pending);
                    if (earlier.Message.Seq > item.Message.Seq) continue;
                }
                notifications[key] = item;
            }
            // One round of notifications at a time, off this loop and with a bounded number of store reads at once, so
            // live delivery never waits for a read (the SQLite store's reads complete synchronously).
            if (notifications.Count > 0 && inFlight.IsCompleted)
            {
                var round = notifications.Values.Take(MaxNotificationsPerRound).ToArray();
                foreach (var item in round) notifications.Remove(KeyOf(item));
                inFlight = Task.Run(() => Parallel.ForEachAsync(round, s_notifyParallelism, (item, _) => new ValueTask(NotifyAsync(item))));
            }
            if (notifications.Count >= MaxNotificationsHeld) await inFlight; // held all it may: the round must finish first
            else if (notifications.Count > 0)
            {
                var more = reader.WaitToReadAsync().AsTask();
                await Task.WhenAny(more, inFlight);
                if (more.IsCompleted && !more.Result) await inFlight; // stopping: finish the round, then the rest
            }
        }
        await inFlight;
    }

    private static (uint, ConversationType, string) KeyOf(Item item) => (item.AppId, item.Type, item.Message.ConversationKey);

    private void Deliver(Item item)
    {
        try
        {
            // Peer: the one receiver's view (the conversation named by the sender). Group: one encoding for the whole group
            // (the receivers' view is the same for all of them).
            string viewer = item.Type == ConversationType.Group ? "" : item.Recipients.FirstOrDefault(u => u != item.Sender) ?? item.Sender;
            _users.Send(item.AppId, item.Recipients, item.Sender, ChatEvents.Encode(new ChatMessageEvent { Message = ChatWire.ToWire(item.Message, viewer) }), Delivery.Reliable);
        }
        catch (Exception ex)
        {
            Log.Failed(_logger, "live delivery", ex);
        }
    }

    /// <summary>
    /// After a stored send: each online recipient gets its conversation changed event (with the message as the last one)
    /// and, except the sender and where muted, its new unread total. One store read serves every recipient.
    /// </summary>
    private async Task NotifyAsync(Item item)
    {
        try
        {
            var record = item.Message;
            var online = await _users.OnlineAsync(item.AppId, item.Recipients);
            if (online.Count == 0) return;
            var states = await _store.GetConversationStatesAsync(item.AppId, online, record.ConversationType, record.ConversationKey);
            var frames = new List<UserFrame>(states.Count * 2);
            foreach (var state in states)
            {
                // the message is the newest one this round knows of (a later one sends its own notification)
                var conversation = state.Conversation with
                {
                    MaxSeq = Math.Max(state.Conversation.MaxSeq, record.Seq),
                    LastMessage = record.Seq > state.Conversation.ClearedSeq ? record : null,
                };
                frames.Add(new UserFrame(state.UserId, ChatEvents.Encode(new ConversationChangedEvent { Conversation = ChatWire.ToWire(conversation, state.UserId) })));
                if (state.UserId != item.Sender && !conversation.Muted)
                    frames.Add(new UserFrame(state.UserId, ChatEvents.Encode(new UnreadTotalEvent { UnreadTotal = state.UnreadTotal })));
            }
            // One send for every recipient's notifications (in a cluster: one message per node with recipients).
            if (frames.Count > 0) _users.Send(item.AppId, frames);
        }
        catch (Exception ex)
        {
            // Informational: a failed read leaves the client's list to its next query.
            Log.Failed(_logger, "conversation notification", ex);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Stops taking work and finishes what was handed over.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _items.Writer.TryComplete();
        await _loop;
    }

    private readonly record struct Item(uint AppId, string Sender, ConversationType Type, StoredMessage Message, IReadOnlyList<string> Recipients, bool Live, TaskCompletionSource? Queued);

    private static partial class Log
    {
        [LoggerMessage(3201, LogLevel.Warning, "Chat delivery stage full ({Capacity} items): producers wait for room ({Waits} waits so far)")]
        public static partial void Overflow(ILogger logger, int capacity, long waits);

        [LoggerMessage(3202, LogLevel.Warning, "Chat {Stage} failed")]
        public static partial void Failed(ILogger logger, string stage, Exception exception);
    }
}
