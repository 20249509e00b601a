using System.Collections.Concurrent;
using System.Threading.Channels;
using Chorus.Server.Chat;
using Chorus.Server.Core;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>
/// Chat across the nodes of a cluster on Redis: where each user's one chat login is (hash <c>chorus:chat:login:{app}</c>),
/// delivery to listed users through their node's channel (<c>chorus:chat:node:{id}</c>: one message per node with
/// recipients, carrying the recipients and the frame encoded once), the kick of an earlier login on another node, and
/// chat rooms shared by every node (see the rooms part). The logins of this node are also kept here, so a local
/// recipient is reached without Redis. Docs: docs/deploy.md, "How nodes share chat".
/// </summary>
public sealed partial class RedisChat : IChatPresence, IChatRoomDirectory, IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly ISubscriber _bus;
    private readonly int _node;
    private readonly ChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisChat> _logger;
    private readonly ChatUserRegistry _local = new();
    private readonly ConcurrentDictionary<ChatConnectionState, string> _loginValues = new(ReferenceEqualityComparer.Instance);
    private readonly Channel<PendingSend> _sends = Channel.CreateUnbounded<PendingSend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private long _nextLogin = DateTime.UtcNow.Ticks; // login values differ from any earlier run of this node id
    private ChannelMessageQueue? _nodeQueue;
    private int _disposed;
    private Task? _sendLoop;
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();

    /// <summary>Creates the chat part of a node; <see cref="StartAsync"/> before use.</summary>
    public RedisChat(IConnectionMultiplexer redis, NodeIdentity node, IOptions<ChatOptions> options, TimeProvider time, ILogger<RedisChat> logger)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _bus = redis.GetSubscriber();
        _node = node.Id;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>This node's id.</summary>
    public int NodeId => _node;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Joins the cluster's chat: logins left by an earlier run of this node id are removed, the node's channel is
    /// subscribed, and the node is listed for the dead-node sweep.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await SweepNodeAsync(_node, NowMs);
        _nodeQueue = await _bus.SubscribeAsync(RedisChannel.Literal(RedisChatKeys.NodeChannel(_node)));
        _nodeQueue.OnMessage(m => OnNodeMessage(m.Message));
        await _db.SetAddAsync(RedisChatKeys.Nodes, _node);
        _sendLoop = Task.Run(SendLoopAsync, CancellationToken.None);
    }

    // ---- logins ------------------------------------------------------------------------------------------------

    private string LoginValue(ChatConnectionState login) => _loginValues.GetOrAdd(login, _ => $"{_node}:{Interlocked.Increment(ref _nextLogin)}");

    /// <inheritdoc />
    public async ValueTask<ChatConnectionState?> SetAsync(uint appId, string userId, ChatConnectionState login)
    {
        var previous = _local.Set(appId, userId, login);
        if (previous is not null) _loginValues.TryRemove(previous, out _);
        string value = LoginValue(login);
        RedisResult old;
        try
        {
            old = await Run(() => _db.ScriptEvaluateAsync(RedisChatScripts.Login,
                [RedisChatKeys.Login(appId), RedisChatKeys.NodeLogins(_node)], [userId, value, $"{appId}:{userId}"]));
        }
        catch (ChatStoreException)
        {
            _local.Remove(appId, userId, login);
            _loginValues.TryRemove(login, out _);
            throw;
        }
        if (!old.IsNull && (string)old! is { } oldValue && oldValue != value && NodeOf(oldValue) is int oldNode && oldNode != _node)
            await Run(() => _bus.PublishAsync(RedisChannel.Literal(RedisChatKeys.NodeChannel(oldNode)), RedisChatEnvelope.Kick(appId, userId, oldValue)));
        return previous;
    }

    private static int? NodeOf(string loginValue)
    {
        int colon = loginValue.IndexOf(':');
        return colon > 0 && int.TryParse(loginValue.AsSpan(0, colon), out int node) ? node : null;
    }

    /// <inheritdoc />
    public bool Remove(uint appId, string userId, ChatConnectionState login)
    {
        if (!_local.Remove(appId, userId, login)) return false;
        if (_loginValues.TryRemove(login, out var value))
        {
            // The shared record goes only if it still names this login; the user's connected room memberships enter
            // their grace period in the same step.
            Track(_db.ScriptEvaluateAsync(RedisChatScripts.Logout,
                [RedisChatKeys.Login(appId), RedisChatKeys.NodeLogins(_node), RedisChatKeys.Grace], [userId, value, $"{appId}:{userId}", NowMs, appId]));
        }
        return true;
    }

    /// <inheritdoc />
    public IClientConnection? FindLocal(uint appId, string userId) => _local.Find(appId, userId);

    /// <inheritdoc />
    public IEnumerable<ChatConnectionState> LocalLogins => _local.All;

    /// <inheritdoc />
    public async ValueTask<bool> IsOnlineAsync(uint appId, string userId) =>
        _local.Find(appId, userId) is not null || await Run(() => _db.HashExistsAsync(RedisChatKeys.Login(appId), userId));

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> OnlineAsync(uint appId, IReadOnlyList<string> userIds)
    {
        var remote = new List<string>();
        var online = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in userIds)
            if (_local.Find(appId, u) is null) remote.Add(u);
            else online.Add(u);
        if (remote.Count == 0) return userIds;
        var values = await Run(() => _db.HashGetAsync(RedisChatKeys.Login(appId), [.. remote.Select(u => (RedisValue)u)]));
        for (int i = 0; i < remote.Count; i++)
            if (!values[i].IsNull) online.Add(remote[i]);
        return [.. userIds.Where(online.Contains)];
    }

    // ---- delivery ----------------------------------------------------------------------------------------------

    private sealed record PendingSend(uint AppId, List<UserFrame> Frames, Task<RedisValue[]> Nodes);

    /// <inheritdoc />
    public void Send(uint appId, IReadOnlyList<string> userIds, string? except, EncodedFrame frame, Delivery delivery)
    {
        List<UserFrame>? remote = null;
        foreach (var user in userIds)
        {
            if (user == except) continue;
            if (_local.Find(appId, user) is { } connection) connection.Send(frame, delivery);
            else (remote ??= []).Add(new UserFrame(user, frame, delivery));
        }
        if (remote is not null) Route(appId, remote);
    }

    /// <inheritdoc />
    public void Send(uint appId, IReadOnlyList<UserFrame> frames)
    {
        List<UserFrame>? remote = null;
        foreach (var f in frames)
        {
            if (_local.Find(appId, f.UserId) is { } connection) connection.Send(f.Frame, f.Delivery);
            else (remote ??= []).Add(f);
        }
        if (remote is not null) Route(appId, remote);
    }

    /// <summary>
    /// Looks the recipients' nodes up now (pipelined) and publishes in call order, one message per node with recipients:
    /// sends called one after the other leave this node in that order.
    /// </summary>
    private void Route(uint appId, List<UserFrame> frames)
    {
        var users = frames.Select(f => (RedisValue)f.UserId).Distinct().ToArray();
        var lookup = _db.HashGetAsync(RedisChatKeys.Login(appId), users);
        _sends.Writer.TryWrite(new PendingSend(appId, frames, lookup.ContinueWith(t =>
        {
            if (!t.IsCompletedSuccessfully) return [];
            var byUser = new Dictionary<string, RedisValue>(StringComparer.Ordinal);
            for (int i = 0; i < users.Length; i++) byUser[(string)users[i]!] = t.Result[i];
            return frames.Select(f => byUser[f.UserId]).ToArray();
        }, TaskScheduler.Default)));
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var pending in _sends.Reader.ReadAllAsync(_stopping.Token))
            {
                RedisValue[] nodes;
                try { nodes = await pending.Nodes; }
                catch (Exception ex) when (ex is RedisException or TimeoutException) { Log.RouteFailed(_logger, ex.Message); continue; }
                // node → frame → users: each node gets one message, each distinct frame once in it.
                var perNode = new Dictionary<int, List<(EncodedFrame Frame, Delivery Delivery, List<string> Users)>>();
                for (int i = 0; i < pending.Frames.Count && i < nodes.Length; i++)
                {
                    if (nodes[i].IsNull || NodeOf((string)nodes[i]!) is not int node || node == _node) continue; // offline (or here, but gone meanwhile)
                    var f = pending.Frames[i];
                    if (!perNode.TryGetValue(node, out var items)) perNode[node] = items = [];
                    int at = items.FindIndex(x => ReferenceEquals(x.Frame.Bytes, f.Frame.Bytes) && x.Delivery == f.Delivery);
                    if (at < 0) items.Add((f.Frame, f.Delivery, [f.UserId]));
                    else items[at].Users.Add(f.UserId);
                }
                foreach (var (node, items) in perNode)
                {
                    var message = RedisChatEnvelope.Delivery(pending.AppId, [.. items.Select(x => new RedisChatEnvelope.Item(x.Users, x.Delivery, RedisChatEnvelope.PayloadOf(x.Frame)))]);
                    _ = _bus.PublishAsync(RedisChannel.Literal(RedisChatKeys.NodeChannel(node)), message, CommandFlags.FireAndForget);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void OnNodeMessage(RedisValue message)
    {
        try
        {
            RedisChatEnvelope.Read((byte[])message!, OnDelivery, OnKick);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ArgumentException)
        {
            Log.BadMessage(_logger, ex.Message);
        }
    }

    private void OnDelivery(uint appId, RedisChatEnvelope.Item item)
    {
        EncodedFrame? frame = null; // wrapped once for every local recipient
        foreach (var user in item.Users)
        {
            if (_local.Find(appId, user) is not { } connection) continue;
            frame ??= EncodedFrame.FromPayload(item.Payload.Span);
            connection.Send(frame.Value, item.Delivery);
        }
    }

    /// <summary>The user logged in on another node: its login here, if it is still the one replaced, ends and is told.</summary>
    private void OnKick(uint appId, string userId, string loginValue)
    {
        if (_local.FindLogin(appId, userId) is not { } login || !_loginValues.TryGetValue(login, out var value) || value != loginValue) return;
        if (!_local.Remove(appId, userId, login)) return;
        _loginValues.TryRemove(login, out _);
        login.UserId = null;
        ForgetLocalMember(appId, userId);
        login.Connection.Send(ChatPresenceEvents.Replaced());
        Track(_db.SetRemoveAsync(RedisChatKeys.NodeLogins(_node), $"{appId}:{userId}"));
    }

    // ---- maintenance -------------------------------------------------------------------------------------------

    /// <summary>
    /// One round of the cluster sweep (every node runs it every 2 s): nodes listed in <c>chorus:chat:nodes</c> whose
    /// liveness key is gone are swept by the one node that takes the sweep lock (their logins removed, their users'
    /// room memberships removed at once), then members past their grace period are removed.
    /// </summary>
    public async Task SweepAsync()
    {
        long now = NowMs;
        // Swept by the others while this node's liveness had lapsed (a long pause)? Its logins are written again.
        if (!await _db.SetContainsAsync(RedisChatKeys.Nodes, _node))
        {
            int again = 0;
            foreach (var login in _local.All)
            {
                if (login.UserId is not { } user || !_loginValues.TryGetValue(login, out var value)) continue;
                uint appId = login.Connection.AppId;
                var held = await _db.HashGetAsync(RedisChatKeys.Login(appId), user);
                if (held.IsNull)
                {
                    await _db.ScriptEvaluateAsync(RedisChatScripts.Login, [RedisChatKeys.Login(appId), RedisChatKeys.NodeLogins(_node)], [user, value, $"{appId}:{user}"]);
                    again++;
                }
            }
            await _db.SetAddAsync(RedisChatKeys.Nodes, _node);
            Log.Rejoined(_logger, again);
        }
        foreach (var id in await _db.SetMembersAsync(RedisChatKeys.Nodes))
        {
            if (!id.TryParse(out int node) || node == _node) continue;
            if (await _db.KeyExistsAsync(RedisChatKeys.NodeAlive(node))) continue;
            if (!await _db.StringSetAsync(RedisChatKeys.SweepLock(node), _node, TimeSpan.FromSeconds(5), When.NotExists)) continue;
            int removed = await SweepNodeAsync(node, now - (long)_options.ChatRoomMemberGracePeriod.TotalMilliseconds);
            await _db.SetRemoveAsync(RedisChatKeys.Nodes, node);
            Log.NodeSwept(_logger, node, removed);
        }
        while ((long)await _db.ScriptEvaluateAsync(RedisChatScripts.SweepGrace, [RedisChatKeys.Grace],
                   [now - (long)_options.ChatRoomMemberGracePeriod.TotalMilliseconds, 500]) >= 500)
        {
        }
    }

    /// <summary>Removes the logins a node holds (a dead node, or this node's earlier run); their members' grace starts at <paramref name="graceFrom"/>.</summary>
    private async Task<int> SweepNodeAsync(int node, long graceFrom)
    {
        int removed = 0;
        while (true)
        {
            var r = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisChatScripts.SweepNode, [RedisChatKeys.NodeLogins(node), RedisChatKeys.Grace],
                [$"{node}:", graceFrom, 500]))!;
            removed += (int)r[1];
            if ((int)r[0] < 500) return removed;
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------------------------

    /// <summary>Runs a Redis call; a Redis failure becomes the store failure chat answers with one retryable refusal.</summary>
    private static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new ChatStoreException(ChatStoreFailure.Unavailable, "Redis: " + ex.Message, ex);
        }
    }

    /// <summary>Work that need not be awaited by its caller, kept until it ends (failures logged; waited for at dispose).</summary>
    private void Track(Task task)
    {
        _inFlight[task] = true;
        task.ContinueWith(t =>
        {
            _inFlight.TryRemove(t, out _);
            if (t.Exception is { } ex) Log.BackgroundFailed(_logger, ex.GetBaseException().Message);
        }, TaskScheduler.Default);
    }

    /// <summary>Waits for the background writes issued so far (tests; shutdown).</summary>
    public Task FlushAsync() => Task.WhenAll(_inFlight.Keys.ToArray()).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _sends.Writer.TryComplete();
        if (_sendLoop is not null) await _sendLoop.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default);
        await _stopping.CancelAsync();
        await FlushAsync().WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default);
        if (_nodeQueue is not null) await _nodeQueue.UnsubscribeAsync();
        await UnsubscribeRoomsAsync();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(7101, LogLevel.Warning, "Chat on Redis: a delivery could not be routed (its recipients catch up by sequence): {Reason}")]
        public static partial void RouteFailed(ILogger logger, string reason);

        [LoggerMessage(7102, LogLevel.Warning, "Chat on Redis: an unreadable message on this node's channel was dropped: {Reason}")]
        public static partial void BadMessage(ILogger logger, string reason);

        [LoggerMessage(7103, LogLevel.Warning, "Chat on Redis: a background write failed: {Reason}")]
        public static partial void BackgroundFailed(ILogger logger, string reason);

        [LoggerMessage(7106, LogLevel.Warning, "Chat on Redis: this node was taken for dead (its liveness lapsed); {Count} of its chat logins were written again")]
        public static partial void Rejoined(ILogger logger, int count);

        [LoggerMessage(7104, LogLevel.Information, "Chat on Redis: node {Node} is gone; {Count} chat logins it held were removed")]
        public static partial void NodeSwept(ILogger logger, int node, int count);
    }
}
