using System.Data.Common;
using System.Text;
using Chorus.Protocol;
using Chorus.Storage.GroupCommit;
using Chorus.Storage.Sql;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Chorus.Storage.Postgres;

/// <summary>
/// The chat store for many nodes: PostgreSQL, shared by every node given the same connection string. Every write of this
/// node goes through one writer loop that commits whatever is queued as one transaction (group commit); the appends in it
/// are written with a few batched statements (the conversations locked and their next sequence numbers read at once, the
/// retried sends looked up at once, then all messages inserted with one statement), whatever their number. A write's task
/// completes only after its transaction committed.
/// </summary>
/// <remarks>
/// Sequence numbers are allocated in the database: an append locks its conversation's row (<c>SELECT ... FOR UPDATE</c>)
/// before it looks for an earlier message with the same retry key and before it reads <c>max_seq</c>, so appends to one
/// conversation from any number of nodes are serialized by that row: sequence numbers stay gapless and unique, and a retried
/// send is found whichever node stored it first (the unique index on the retry key backs this up). Group membership
/// changes lock the group's row and then its conversation's row, so leave points and member limits hold across nodes too.
/// When the database breaks off a transaction for a deadlock between nodes, the writer runs it again. When one write of a
/// batch fails on its own (bad data, a broken rule), the batch is run again with each write in its own savepoint, so that
/// the failure stays that write's. Message content (text, searched content, extended data) and group names are stored as
/// UTF-8 bytes (<c>bytea</c>) so that any text the protocol carries, NUL characters included, comes back as it was sent.
/// </remarks>
public sealed class PostgresChatStore : IChatStore
{
    /// <summary>Most writes committed together.</summary>
    public const int MaxBatch = 512;

    private const string StoreName = "chat store";
    private const int MaxAttempts = 5;

    private readonly NpgsqlDataSource _data;
    private readonly bool _ownsData;
    private readonly TimeProvider _time;
    private readonly MessageIdGenerator _ids;
    private GroupCommitQueue<WriteOp, object?> _queue = null!; // started once the schema is migrated

    private PostgresChatStore(NpgsqlDataSource data, bool ownsData, MessageIdGenerator ids, TimeProvider time)
    {
        _data = data;
        _ownsData = ownsData;
        _ids = ids;
        _time = time;
    }

    /// <summary>
    /// Opens the store on <paramref name="connectionString"/>: applies the schema migrations (see <see cref="PostgresSchema"/>)
    /// and seeds <paramref name="ids"/> with the largest stored MessageId.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="ids">The MessageId source shared with unstored messages (carrying this node's id).</param>
    /// <param name="time">The clock for timestamps.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ChatStoreException">The connection string is not valid, or the database cannot be reached or migrated.</exception>
    public static Task<PostgresChatStore> OpenAsync(string connectionString, MessageIdGenerator? ids = null, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(PostgresConnection.CreateDataSource(connectionString), ownsData: true, ids, time, cancellationToken);

    /// <summary>Opens the store on a data source the caller keeps (and disposes).</summary>
    /// <inheritdoc cref="OpenAsync(string, MessageIdGenerator?, TimeProvider?, CancellationToken)"/>
    public static Task<PostgresChatStore> OpenAsync(NpgsqlDataSource dataSource, MessageIdGenerator? ids = null, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(dataSource, ownsData: false, ids, time, cancellationToken);

    private static async Task<PostgresChatStore> OpenAsync(NpgsqlDataSource data, bool ownsData, MessageIdGenerator? ids, TimeProvider? time, CancellationToken cancellationToken)
    {
        time ??= TimeProvider.System;
        var store = new PostgresChatStore(data, ownsData, ids ?? new MessageIdGenerator(time), time);
        try
        {
            await PostgresSchema.MigrateAsync(data, cancellationToken);
            try
            {
                await using var c = await data.OpenConnectionAsync(cancellationToken);
                store._ids.AtLeast(await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(message_id) FROM chorus_messages", cancellationToken: cancellationToken)) ?? 0);
            }
            catch (Exception ex) when (PostgresFailures.IsDatabaseError(ex))
            {
                throw PostgresFailures.Wrap(ex, "opening the chat store");
            }
        }
        catch
        {
            if (ownsData) await data.DisposeAsync();
            throw;
        }
        store._queue = new GroupCommitQueue<WriteOp, object?>(new ChatWriter(store), new GroupCommitOptions
        {
            MaxBatch = MaxBatch, MaxAttempts = MaxAttempts, Closed = () => PostgresFailures.Closed(StoreName),
        });
        return store;
    }

    /// <summary>Transactions committed so far (each may hold many writes).</summary>
    public long Commits => _queue.Commits;

    /// <summary>Transactions run again so far because PostgreSQL broke them off for a deadlock with another node's.</summary>
    public long Retries => _queue.Retries;

    private const string MessageColumns = "message_id, app_id, conv_type, conv_key, seq, sender, local_id, type, text, sub_type, searched, extended, has_receipt, receipt_read, priority, ts, mentioned";

    // ---- writes ---------------------------------------------------------------------------

    /// <inheritdoc />
    public async Task<AppendResult> AppendAsync(NewMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (AppendResult)(await _queue.EnqueueAsync(new WriteOp(message), cancellationToken))!;
    }

    /// <inheritdoc />
    public Task DeleteMessagesAsync(uint appId, string userId, ConversationType type, string conversationKey, IReadOnlyList<long> messageIds, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("""
                INSERT INTO chorus_deleted_messages(app_id, user_id, message_id)
                SELECT app_id, @User, message_id FROM chorus_messages WHERE app_id=@App AND message_id = ANY(@Ids) AND conv_type=@Type AND conv_key=@Key
                ON CONFLICT DO NOTHING
                """, new { App = (long)appId, User = userId, Ids = messageIds.ToArray(), Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task DeleteAllMessagesAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            long max = await MaxSeqAsync(c, tx, appId, type, conversationKey);
            await c.ExecuteAsync("""
                INSERT INTO chorus_user_conversations(app_id, user_id, conv_type, conv_key, cleared_seq, read_seq) VALUES (@App, @User, @Type, @Key, @Max, @Max)
                ON CONFLICT (app_id, user_id, conv_type, conv_key) DO UPDATE
                SET cleared_seq = @Max, read_seq = GREATEST(chorus_user_conversations.read_seq, @Max)
                """, new { Max = max, App = (long)appId, User = userId, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<StoredMessage?> RevokeAsync(uint appId, long messageId, CancellationToken cancellationToken = default) => WriteAsync(async (c, tx) =>
    {
        var rows = await QueryMessagesAsync(c, tx, $"UPDATE chorus_messages SET type = @Revoke, text = NULL, searched = NULL, extended = NULL WHERE app_id=@App AND message_id=@Id RETURNING {MessageColumns}",
            new { Revoke = (int)ChatMessageType.Revoke, App = (long)appId, Id = messageId });
        return rows.Count == 0 ? null : rows[0];
    }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredMessage>> MarkReceiptsReadAsync(uint appId, IReadOnlyList<long> messageIds, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<StoredMessage>>(async (c, tx) =>
        {
            var rows = await QueryMessagesAsync(c, tx,
                $"UPDATE chorus_messages SET receipt_read = true WHERE app_id=@App AND message_id = ANY(@Ids) AND has_receipt AND NOT receipt_read RETURNING {MessageColumns}",
                new { App = (long)appId, Ids = messageIds.ToArray() });
            // in the order asked
            var byId = rows.ToDictionary(m => m.MessageId);
            return messageIds.Distinct().Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        }, cancellationToken);

    /// <inheritdoc />
    public Task MarkReadAsync(uint appId, string userId, ConversationType type, string conversationKey, long? seq, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            long upTo = seq ?? await MaxSeqAsync(c, tx, appId, type, conversationKey);
            await c.ExecuteAsync("""
                INSERT INTO chorus_user_conversations(app_id, user_id, conv_type, conv_key, read_seq) VALUES (@App, @User, @Type, @Key, GREATEST(@UpTo, 0))
                ON CONFLICT (app_id, user_id, conv_type, conv_key) DO UPDATE SET read_seq = GREATEST(chorus_user_conversations.read_seq, @UpTo)
                """, new { UpTo = upTo, App = (long)appId, User = userId, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task SetMutedAsync(uint appId, string userId, ConversationType type, string conversationKey, bool muted, CancellationToken cancellationToken = default) =>
        UpdateUserConversation(appId, userId, type, conversationKey, "muted", muted, cancellationToken);

    /// <inheritdoc />
    public Task SetPinnedAsync(uint appId, string userId, ConversationType type, string conversationKey, bool pinned, CancellationToken cancellationToken = default) =>
        UpdateUserConversation(appId, userId, type, conversationKey, "pinned", pinned, cancellationToken);

    /// <inheritdoc />
    public Task HideConversationAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            long max = await MaxSeqAsync(c, tx, appId, type, conversationKey);
            await c.ExecuteAsync("""
                UPDATE chorus_user_conversations SET hidden_seq = @Max, read_seq = GREATEST(read_seq, @Max)
                WHERE app_id=@App AND user_id=@User AND conv_type=@Type AND conv_key=@Key
                """, new { Max = max, App = (long)appId, User = userId, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    private Task UpdateUserConversation(uint appId, string userId, ConversationType type, string key, string column, bool value, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync($"""
                INSERT INTO chorus_user_conversations(app_id, user_id, conv_type, conv_key, {column}) VALUES (@App, @User, @Type, @Key, @Value)
                ON CONFLICT (app_id, user_id, conv_type, conv_key) DO UPDATE SET {column} = @Value
                """, new { Value = value, App = (long)appId, User = userId, Type = (int)type, Key = key }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupChange> CreateGroupAsync(uint appId, string groupId, string name, string ownerUserId, IReadOnlyList<string> members, int maxMembers,
        int maxGroupsPerOwner, int maxCreatesPerOwnerPerHour, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var args = new { App = (long)appId, Group = groupId, Owner = ownerUserId, Since = now - 3_600_000, Lock = $"chorus:group-owner:{appId}:{ownerUserId}" };
            // One owner's creations are serialized across nodes (a transaction-level advisory lock on the owner), so that
            // concurrent creates cannot pass the limits together; the group ID's own race is settled by its primary key below.
            await c.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended(@Lock, 0))", args, tx);
            if (await GroupExistsAsync(c, tx, appId, groupId, lockRow: false)) return GroupChange.Exists;
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM chorus_dismissed_groups WHERE app_id=@App AND group_id=@Group", args, tx) > 0)
                return GroupChange.Dismissed;
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM chorus_groups WHERE app_id=@App AND owner=@Owner", args, tx) >= maxGroupsPerOwner)
                return GroupChange.OwnerLimit;
            // creations in the last hour, the dismissed ones included (create-and-dismiss churn)
            if (await c.ExecuteScalarAsync<long>("SELECT (SELECT COUNT(*) FROM chorus_groups WHERE app_id=@App AND owner=@Owner AND create_time > @Since)"
                    + " + (SELECT COUNT(*) FROM chorus_dismissed_groups WHERE app_id=@App AND owner=@Owner AND create_time > @Since)", args, tx) >= maxCreatesPerOwnerPerHour)
                return GroupChange.CreateRateLimit;
            var all = members.Prepend(ownerUserId).Distinct(StringComparer.Ordinal).ToList();
            if (all.Count > maxMembers) return GroupChange.Full;
            int inserted = await c.ExecuteAsync("INSERT INTO chorus_groups(app_id, group_id, name, owner, create_time) VALUES (@App, @Group, @Name, @Owner, @Now) ON CONFLICT DO NOTHING",
                new { App = (long)appId, Group = groupId, Name = Encode(name), Owner = ownerUserId, Now = now }, tx);
            if (inserted == 0) return GroupChange.Exists; // another node created it meanwhile
            await AddMembersAsync(c, tx, appId, groupId, all, now);
            return GroupChange.Done;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupChange> AddGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, int maxMembers, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            if (!await GroupExistsAsync(c, tx, appId, groupId, lockRow: true)) return GroupChange.Missing;
            var current = (await c.QueryAsync<string>("SELECT user_id FROM chorus_group_members WHERE app_id=@App AND group_id=@Group",
                new { App = (long)appId, Group = groupId }, tx)).ToHashSet(StringComparer.Ordinal);
            var added = userIds.Distinct(StringComparer.Ordinal).Where(u => !current.Contains(u)).ToList();
            if (current.Count + added.Count > maxMembers) return GroupChange.Full;
            await AddMembersAsync(c, tx, appId, groupId, added, _time.GetUtcNow().ToUnixTimeMilliseconds());
            return GroupChange.Done;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupChange> RemoveGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) => await RemoveMembersAsync(c, tx, appId, groupId, userIds, kicked: false) is null ? GroupChange.Missing : GroupChange.Done, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>?> KickGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<string>?>(async (c, tx) => await RemoveMembersAsync(c, tx, appId, groupId, userIds, kicked: true), cancellationToken);

    /// <summary>Removes members (a leave or a kick), recording each one's leave point; the users actually removed, or
    /// null when the group does not exist.</summary>
    private async Task<List<string>?> RemoveMembersAsync(NpgsqlConnection c, NpgsqlTransaction tx, uint appId, string groupId, IReadOnlyList<string> userIds, bool kicked)
    {
        if (!await GroupExistsAsync(c, tx, appId, groupId, lockRow: true)) return null;
        long max = await MaxSeqAsync(c, tx, appId, ConversationType.Group, groupId, lockRow: true), now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var removed = (await c.QueryAsync<string>("DELETE FROM chorus_group_members WHERE app_id=@App AND group_id=@Group AND user_id = ANY(@Users) RETURNING user_id",
            new { App = (long)appId, Group = groupId, Users = userIds.Distinct(StringComparer.Ordinal).ToArray() }, tx)).ToHashSet(StringComparer.Ordinal);
        var inOrder = userIds.Distinct(StringComparer.Ordinal).Where(removed.Contains).ToList();
        await RecordLeaversAsync(c, tx, appId, groupId, inOrder, max, now, kicked);
        return inOrder;
    }

    // Locks the group's row when asked (membership changes of one group are serialized across nodes).
    private static async Task<bool> GroupExistsAsync(NpgsqlConnection c, NpgsqlTransaction tx, uint appId, string groupId, bool lockRow) =>
        await c.ExecuteScalarAsync<int?>($"SELECT 1 FROM chorus_groups WHERE app_id=@App AND group_id=@Group{(lockRow ? " FOR UPDATE" : "")}",
            new { App = (long)appId, Group = groupId }, tx) is not null;

    /// <inheritdoc />
    public Task<GroupChange> DismissGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, tx) =>
        {
            var args = new { App = (long)appId, Group = groupId };
            var gone = (await c.QueryAsync<(string Owner, long CreateTime)>("DELETE FROM chorus_groups WHERE app_id=@App AND group_id=@Group RETURNING owner, create_time", args, tx)).ToList();
            if (gone.Count == 0) return GroupChange.Missing;
            long max = await MaxSeqAsync(c, tx, appId, ConversationType.Group, groupId, lockRow: true), now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var members = (await c.QueryAsync<string>("DELETE FROM chorus_group_members WHERE app_id=@App AND group_id=@Group RETURNING user_id", args, tx)).ToList();
            if (max > 0)
            {
                await RecordLeaversAsync(c, tx, appId, groupId, members, max, now, kicked: false);
            }
            else
            {
                // Nothing was ever sent: no one has anything to read, so nothing is kept for anyone (no leave points, no conversation entries).
                await c.ExecuteAsync("DELETE FROM chorus_group_leavers WHERE app_id=@App AND group_id=@Group", args, tx);
                await c.ExecuteAsync($"DELETE FROM chorus_user_conversations WHERE app_id=@App AND conv_type={GroupType} AND conv_key=@Group", args, tx);
            }
            await c.ExecuteAsync("""
                INSERT INTO chorus_dismissed_groups(app_id, group_id, dismissed_at, owner, create_time) VALUES (@App, @Group, @Now, @Owner, @Created)
                ON CONFLICT DO NOTHING
                """, new { App = (long)appId, Group = groupId, Now = now, Owner = gone[0].Owner, Created = gone[0].CreateTime }, tx);
            return GroupChange.Done;
        }, cancellationToken);

    private static async Task AddMembersAsync(NpgsqlConnection c, NpgsqlTransaction tx, uint appId, string groupId, IReadOnlyList<string> users, long now)
    {
        if (users.Count == 0) return;
        long max = await MaxSeqAsync(c, tx, appId, ConversationType.Group, groupId, lockRow: true);
        var args = new { App = (long)appId, Group = groupId, Users = users.ToArray(), Now = now, Type = (int)ConversationType.Group, Max = max };
        // join order continues from the group's last member, in the order given (the group's row is locked by the caller)
        await c.ExecuteAsync("""
            INSERT INTO chorus_group_members(app_id, group_id, user_id, joined_at, join_order)
            SELECT @App, @Group, u.user_id, @Now, (SELECT COALESCE(MAX(join_order), 0) FROM chorus_group_members WHERE app_id=@App AND group_id=@Group) + u.n
            FROM unnest(@Users) WITH ORDINALITY AS u(user_id, n)
            ON CONFLICT DO NOTHING
            """, args, tx);
        // A former member who comes back is a member again.
        await c.ExecuteAsync("DELETE FROM chorus_group_leavers WHERE app_id=@App AND group_id=@Group AND user_id = ANY(@Users)", args, tx);
        // A new member starts with nothing unread; one who comes back keeps its entry.
        await c.ExecuteAsync("""
            INSERT INTO chorus_user_conversations(app_id, user_id, conv_type, conv_key, read_seq)
            SELECT @App, u, @Type, @Group, @Max FROM unnest(@Users) AS u
            ON CONFLICT (app_id, user_id, conv_type, conv_key) DO UPDATE SET hidden_seq = -1
            """, args, tx);
    }

    // The leave point: the group's sequence number when the user stopped being a member (written in the same write that removes the member).
    // A kicked member may not join again on its own (see IChatStore.KickGroupMembersAsync).
    private static Task RecordLeaversAsync(NpgsqlConnection c, NpgsqlTransaction tx, uint appId, string groupId, IReadOnlyList<string> users, long leftSeq, long now, bool kicked) =>
        users.Count == 0 ? Task.CompletedTask : c.ExecuteAsync("""
            INSERT INTO chorus_group_leavers(app_id, group_id, user_id, left_seq, left_at, kicked) SELECT @App, @Group, u, @Seq, @Now, @Kicked FROM unnest(@Users) AS u
            ON CONFLICT (app_id, group_id, user_id) DO UPDATE SET left_seq = excluded.left_seq, left_at = excluded.left_at, kicked = excluded.kicked
            """, new { App = (long)appId, Group = groupId, Users = users.ToArray(), Seq = leftSeq, Now = now, Kicked = kicked }, tx);

    private static async Task<long> MaxSeqAsync(NpgsqlConnection c, NpgsqlTransaction? tx, uint appId, ConversationType type, string key, bool lockRow = false) =>
        await c.ExecuteScalarAsync<long?>($"SELECT max_seq FROM chorus_conversations WHERE app_id=@App AND conv_type=@Type AND conv_key=@Key{(lockRow ? " FOR UPDATE" : "")}",
            new { App = (long)appId, Type = (int)type, Key = key }, tx) ?? 0;

    // ---- appends, batched ---------------------------------------------------------------------

    /// <summary>
    /// Writes consecutive appends of a batch with a fixed number of round trips: (1) ensure each conversation's row, lock the
    /// rows (in one order on every node) and read their <c>max_seq</c>, and look up the retried sends, in one batch of
    /// statements; (2) allocate sequence numbers and MessageIds here; (3) insert the messages, advance <c>max_seq</c>, make
    /// the conversation entries and advance the senders' read positions, in a second batch. Fills <paramref name="results"/>.
    /// </summary>
    private async Task AppendSegmentAsync(NpgsqlConnection c, IReadOnlyList<WriteOp> batch, int from, int to, object?[] results, CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var conversations = new SortedDictionary<ConvKey, long>();
        var retryKeys = new List<RetryKey>();
        for (int i = from; i < to; i++)
        {
            var m = batch[i].Message!;
            conversations[new ConvKey(m.AppId, (int)m.ConversationType, m.ConversationKey)] = 0;
            if (ChatSql.IsDeduplicated(m.LocalMessageId)) retryKeys.Add(new RetryKey(m.AppId, m.SenderUserId, (int)m.ConversationType, m.ConversationKey, m.LocalMessageId));
        }
        var convs = conversations.Keys.ToList();
        var earlier = new Dictionary<RetryKey, StoredMessage>();
        await using (var lookup = new NpgsqlBatch(c))
        {
            lookup.BatchCommands.Add(Command("""
                INSERT INTO chorus_conversations(app_id, conv_type, conv_key, max_seq, last_time)
                SELECT a, t, k, 0, $4 FROM unnest($1::bigint[], $2::integer[], $3::text[]) AS u(a, t, k)
                ON CONFLICT DO NOTHING
                """, convs.Select(k => (long)k.App).ToArray(), convs.Select(k => k.Type).ToArray(), convs.Select(k => k.Key).ToArray(), now));
            lookup.BatchCommands.Add(Command("""
                SELECT c.app_id, c.conv_type, c.conv_key, c.max_seq FROM chorus_conversations c
                JOIN unnest($1::bigint[], $2::integer[], $3::text[]) AS u(a, t, k) ON c.app_id = u.a AND c.conv_type = u.t AND c.conv_key = u.k
                ORDER BY c.app_id, c.conv_type, c.conv_key
                FOR UPDATE OF c
                """, convs.Select(k => (long)k.App).ToArray(), convs.Select(k => k.Type).ToArray(), convs.Select(k => k.Key).ToArray()));
            if (retryKeys.Count > 0)
                lookup.BatchCommands.Add(Command($"""
                    SELECT {MessageColumnsOf("m")} FROM chorus_messages m
                    JOIN unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::bigint[]) AS u(a, s, t, k, l)
                      ON {ChatSql.SameRetryKey("m", "u.a", "u.s", "u.t", "u.k", "u.l")}
                    """, retryKeys.Select(k => (long)k.App).ToArray(), retryKeys.Select(k => k.Sender).ToArray(), retryKeys.Select(k => k.Type).ToArray(),
                    retryKeys.Select(k => k.Key).ToArray(), retryKeys.Select(k => k.LocalId).ToArray()));
            await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
            if (reader.FieldCount == 0) await reader.NextResultAsync(cancellationToken); // the insert (Npgsql's reader skips results without rows)
            while (await reader.ReadAsync(cancellationToken))
                conversations[new ConvKey((uint)reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2))] = reader.GetInt64(3);
            if (retryKeys.Count > 0)
            {
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var found = ReadMessage(reader);
                    earlier[new RetryKey(found.AppId, found.SenderUserId, (int)found.ConversationType, found.ConversationKey, found.LocalMessageId)] = found;
                }
            }
        }

        // Allocation, in batch order: for one conversation that is sequence order.
        var inserts = new List<StoredMessage>();
        var entries = new HashSet<UserConvKey>();
        var senderReads = new Dictionary<UserConvKey, long>();
        for (int i = from; i < to; i++)
        {
            var m = batch[i].Message!;
            var retry = new RetryKey(m.AppId, m.SenderUserId, (int)m.ConversationType, m.ConversationKey, m.LocalMessageId);
            if (ChatSql.IsDeduplicated(m.LocalMessageId) && earlier.TryGetValue(retry, out var existing))
            {
                results[i] = new AppendResult(existing, Duplicate: true);
                continue;
            }
            var conv = new ConvKey(m.AppId, (int)m.ConversationType, m.ConversationKey);
            long seq = conversations[conv] + 1;
            conversations[conv] = seq;
            var stored = new StoredMessage
            {
                MessageId = _ids.Next(), AppId = m.AppId, ConversationType = m.ConversationType, ConversationKey = m.ConversationKey, Seq = seq,
                SenderUserId = m.SenderUserId, LocalMessageId = m.LocalMessageId, Type = m.Type, Text = m.Text, SubType = m.SubType,
                SearchedContent = m.SearchedContent, ExtendedData = m.ExtendedData, HasReceipt = m.HasReceipt, Priority = m.Priority,
                Timestamp = now, MentionedUserIds = m.MentionedUserIds,
            };
            inserts.Add(stored);
            if (ChatSql.IsDeduplicated(m.LocalMessageId)) earlier[retry] = stored; // a retry later in this batch finds it
            results[i] = new AppendResult(stored, Duplicate: false);
            foreach (var user in m.EnsureConversationFor) entries.Add(new UserConvKey(m.AppId, user, (int)m.ConversationType, m.ConversationKey));
            // Sending implies having read everything before: the sender's own message never counts as unread.
            senderReads[new UserConvKey(m.AppId, m.SenderUserId, (int)m.ConversationType, m.ConversationKey)] = seq;
        }
        if (inserts.Count == 0) return;

        var advanced = conversations.Where(kv => inserts.Any(s => s.AppId == kv.Key.App && (int)s.ConversationType == kv.Key.Type && s.ConversationKey == kv.Key.Key)).ToList();
        var entryList = entries.OrderBy(e => e.User, StringComparer.Ordinal).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        var readList = senderReads.ToList();
        await using var write = new NpgsqlBatch(c);
        write.BatchCommands.Add(Command($"""
            INSERT INTO chorus_messages({MessageColumns})
            SELECT id, a, t, k, s, snd, l, ty, tx, st, se, ex, hr, false, p, ts, mn
            FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::integer[], $9::bytea[], $10::integer[],
                        $11::bytea[], $12::bytea[], $13::boolean[], $14::integer[], $15::bigint[], $16::text[])
                 AS u(id, a, t, k, s, snd, l, ty, tx, st, se, ex, hr, p, ts, mn)
            """,
            inserts.Select(s => s.MessageId).ToArray(), inserts.Select(s => (long)s.AppId).ToArray(), inserts.Select(s => (int)s.ConversationType).ToArray(),
            inserts.Select(s => s.ConversationKey).ToArray(), inserts.Select(s => s.Seq).ToArray(), inserts.Select(s => s.SenderUserId).ToArray(),
            inserts.Select(s => s.LocalMessageId).ToArray(), inserts.Select(s => (int)s.Type).ToArray(), inserts.Select(s => Encode(s.Text)).ToArray(),
            inserts.Select(s => s.SubType).ToArray(), inserts.Select(s => Encode(s.SearchedContent)).ToArray(), inserts.Select(s => Encode(s.ExtendedData)).ToArray(),
            inserts.Select(s => s.HasReceipt).ToArray(), inserts.Select(s => s.Priority).ToArray(), inserts.Select(s => s.Timestamp).ToArray(),
            inserts.Select(s => s.MentionedUserIds is { Length: > 0 } mentioned ? string.Join('\n', mentioned) : null).ToArray()));
        write.BatchCommands.Add(Command("""
            UPDATE chorus_conversations c SET max_seq = u.m, last_time = $5
            FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::bigint[]) AS u(a, t, k, m)
            WHERE c.app_id = u.a AND c.conv_type = u.t AND c.conv_key = u.k
            """, advanced.Select(kv => (long)kv.Key.App).ToArray(), advanced.Select(kv => kv.Key.Type).ToArray(), advanced.Select(kv => kv.Key.Key).ToArray(),
            advanced.Select(kv => kv.Value).ToArray(), now));
        if (entryList.Count > 0)
            write.BatchCommands.Add(Command("""
                INSERT INTO chorus_user_conversations(app_id, user_id, conv_type, conv_key)
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[])
                ON CONFLICT DO NOTHING
                """, entryList.Select(e => (long)e.App).ToArray(), entryList.Select(e => e.User).ToArray(), entryList.Select(e => e.Type).ToArray(), entryList.Select(e => e.Key).ToArray()));
        write.BatchCommands.Add(Command("""
            UPDATE chorus_user_conversations uc SET read_seq = GREATEST(uc.read_seq, u.s)
            FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::bigint[]) AS u(a, usr, t, k, s)
            WHERE uc.app_id = u.a AND uc.user_id = u.usr AND uc.conv_type = u.t AND uc.conv_key = u.k
            """, readList.Select(r => (long)r.Key.App).ToArray(), readList.Select(r => r.Key.User).ToArray(), readList.Select(r => r.Key.Type).ToArray(),
            readList.Select(r => r.Key.Key).ToArray(), readList.Select(r => r.Value).ToArray()));
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(value is byte[]?[] bytes
                ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = bytes }
                : new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }

    private readonly record struct ConvKey(uint App, int Type, string Key) : IComparable<ConvKey>
    {
        public int CompareTo(ConvKey other)
        {
            int c = App.CompareTo(other.App);
            if (c == 0) c = Type.CompareTo(other.Type);
            return c != 0 ? c : string.CompareOrdinal(Key, other.Key);
        }
    }

    private readonly record struct RetryKey(uint App, string Sender, int Type, string Key, long LocalId);

    private readonly record struct UserConvKey(uint App, string User, int Type, string Key);

    // ---- reads ----------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredMessage>> QueryHistoryAsync(uint appId, string userId, ConversationType type, string conversationKey,
        long? startSeq, int count, bool forward, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<StoredMessage>>(async c =>
    {
        // A group's history ends for a former member at the leave point, and does not exist for anyone else.
        var (cleared, upTo) = await c.QuerySingleAsync<(long, long)>(new CommandDefinition(Sql.HistoryBounds,
            new { App = (long)appId, User = userId, Type = (int)type, Key = conversationKey }, cancellationToken: cancellationToken));
        string range = forward ? "seq > @Start ORDER BY seq ASC" : "seq < @Start ORDER BY seq DESC";
        long start = forward ? Math.Max(startSeq ?? 0, cleared) : startSeq ?? long.MaxValue;
        return await QueryMessagesAsync(c, null, $"""
            SELECT {MessageColumns} FROM chorus_messages m
            WHERE app_id=@App AND conv_type=@Type AND conv_key=@Key AND {Sql.VisibleTo("m", "@User", "@Cleared", "@UpTo")}
              AND {range} LIMIT @Count
            """, new { App = (long)appId, Type = (int)type, Key = conversationKey, Cleared = cleared, UpTo = upTo, User = userId, Start = start, Count = count }, cancellationToken);
    }, cancellationToken);

    /// <inheritdoc />
    public Task<StoredMessage?> GetMessageAsync(uint appId, long messageId, CancellationToken cancellationToken = default) => ReadAsync<StoredMessage?>(async c =>
    {
        var rows = await QueryMessagesAsync(c, null, $"SELECT {MessageColumns} FROM chorus_messages WHERE app_id=@App AND message_id=@Id", new { App = (long)appId, Id = messageId }, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<UserConversation>> QueryConversationsAsync(uint appId, string userId, int count, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<UserConversation>>(async c => await ConversationsWithLastMessageAsync(c,
            $"AND {Sql.Listed} ORDER BY uc.pinned DESC, COALESCE(c.last_time, 0) DESC LIMIT @Count",
            new { App = (long)appId, User = userId, Count = count }, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<UserConversation?> GetConversationAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default) =>
        ReadAsync<UserConversation?>(async c => (await ConversationsWithLastMessageAsync(c, "AND uc.conv_type=@Type AND uc.conv_key=@Key",
            new { App = (long)appId, User = userId, Type = (int)type, Key = conversationKey }, cancellationToken)).FirstOrDefault(), cancellationToken);

    /// <inheritdoc />
    public Task<long> GetUnreadTotalAsync(uint appId, string userId, CancellationToken cancellationToken = default) => ReadAsync<long>(async c =>
    {
        return await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT {Sql.UnreadSum} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id=@User AND {Sql.CountsAsUnread}",
            new { App = (long)appId, User = userId }, cancellationToken: cancellationToken));
    }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<UserConversationState>> GetConversationStatesAsync(uint appId, IReadOnlyList<string> userIds, ConversationType type, string conversationKey,
        CancellationToken cancellationToken = default)
    {
        if (userIds.Count == 0) return [];
        return await ReadAsync<IReadOnlyList<UserConversationState>>(async c =>
        {
            var args = new { App = (long)appId, Users = userIds.ToArray(), Type = (int)type, Key = conversationKey };
            var rows = await c.QueryAsync<ConversationRow>(new CommandDefinition(
                $"SELECT {Sql.ConversationColumns} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id = ANY(@Users) AND uc.conv_type=@Type AND uc.conv_key=@Key AND {Sql.MayRead}",
                args, cancellationToken: cancellationToken));
            var totals = (await c.QueryAsync<(string UserId, long Total)>(new CommandDefinition(
                $"SELECT uc.user_id, {Sql.UnreadSum} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id = ANY(@Users) AND {Sql.CountsAsUnread} GROUP BY uc.user_id",
                args, cancellationToken: cancellationToken)))
                .ToDictionary(t => t.UserId, t => t.Total);
            return rows.Select(r => new UserConversationState(r.UserId, r.ToConversation(lastMessage: null), totals.GetValueOrDefault(r.UserId))).ToList();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredGroup?> GetGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default) => ReadAsync<StoredGroup?>(async c =>
    {
        var g = await c.QuerySingleOrDefaultAsync<GroupRow>(new CommandDefinition("""
            SELECT group_id AS GroupId, name AS Name, owner AS Owner, create_time AS CreateTime,
                   (SELECT COUNT(*) FROM chorus_group_members m WHERE m.app_id=g.app_id AND m.group_id=g.group_id) AS Members
            FROM chorus_groups g WHERE app_id=@App AND group_id=@Group
            """, new { App = (long)appId, Group = groupId }, cancellationToken: cancellationToken));
        return g is null ? null : new StoredGroup(g.GroupId, Decode(g.Name) ?? "", g.Owner, g.CreateTime, (int)g.Members);
    }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetGroupMembersAsync(uint appId, string groupId, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<string>>(async c =>
    {
        return (await c.QueryAsync<string>(new CommandDefinition("SELECT user_id FROM chorus_group_members WHERE app_id=@App AND group_id=@Group ORDER BY join_order",
            new { App = (long)appId, Group = groupId }, cancellationToken: cancellationToken))).ToList();
    }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupAccess> GetGroupAccessAsync(uint appId, string groupId, string userId, CancellationToken cancellationToken = default) => ReadAsync<GroupAccess>(async c =>
    {
        var row = await c.QuerySingleAsync<AccessRow>(new CommandDefinition("""
            SELECT g.group_id AS GroupId, g.name AS Name, g.owner AS Owner, COALESCE(g.create_time, 0) AS CreateTime,
                   (SELECT COUNT(*) FROM chorus_group_members m WHERE m.app_id=@App AND m.group_id=@Group) AS Members,
                   EXISTS (SELECT 1 FROM chorus_group_members m WHERE m.app_id=@App AND m.group_id=@Group AND m.user_id=@User) AS IsMember,
                   l.left_seq AS LeftSeq, l.kicked AS Kicked
            FROM (SELECT 1) AS one
            LEFT JOIN chorus_groups g ON g.app_id=@App AND g.group_id=@Group
            LEFT JOIN chorus_group_leavers l ON l.app_id=@App AND l.group_id=@Group AND l.user_id=@User
            """, new { App = (long)appId, Group = groupId, User = userId }, cancellationToken: cancellationToken));
        var group = row.GroupId is null ? null : new StoredGroup(row.GroupId, Decode(row.Name) ?? "", row.Owner ?? "", row.CreateTime, (int)row.Members);
        return new GroupAccess(group, row.IsMember, row.IsMember ? null : row.LeftSeq, !row.IsMember && row.Kicked == true);
    }, cancellationToken);

    // The rules both databases share (who sees which conversation, up to where, unread counts), in PostgreSQL's words.
    private static readonly ChatSql Sql = new(new ChatSqlDialect
    {
        Conversations = "chorus_conversations", Messages = "chorus_messages", UserConversations = "chorus_user_conversations",
        DeletedMessages = "chorus_deleted_messages", GroupMembers = "chorus_group_members", GroupLeavers = "chorus_group_leavers",
        Least = "LEAST", Greatest = "GREATEST", False = "false", AsBigint = sum => $"({sum})::bigint",
    });

    private const string GroupType = "2"; // ConversationType.Group

    /// <summary>
    /// One user's conversations that the user may read (narrowed, ordered and limited by <paramref name="rest"/>),
    /// each with the newest message the user can see, in one query: the page of conversations first, then each one's last
    /// message (a lateral join, so only for the conversations returned).
    /// </summary>
    private static async Task<List<UserConversation>> ConversationsWithLastMessageAsync(NpgsqlConnection c, string rest, object args, CancellationToken cancellationToken)
    {
        string sql = $"""
            SELECT page.*, {MessageColumnsOf("lm")} FROM (
                SELECT {Sql.ConversationColumns}, uc.app_id AS AppId, COALESCE(c.last_time, 0) AS LastTime FROM {Sql.UserConversationsJoin}
                WHERE uc.app_id=@App AND uc.user_id=@User AND {Sql.MayRead} {rest}) AS page
            LEFT JOIN LATERAL (
                SELECT {MessageColumns} FROM chorus_messages m
                WHERE m.app_id = page.appid AND m.conv_type = page.convtype AND m.conv_key = page.convkey
                  AND {Sql.VisibleTo("m", "page.userid", "page.clearedseq", "page.maxseq")}
                ORDER BY m.seq DESC LIMIT 1) AS lm ON true
            ORDER BY page.pinned DESC, page.lasttime DESC
            """;
        await using var reader = await c.ExecuteReaderAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
        var list = new List<UserConversation>();
        const int Columns = 10; // ConversationColumns, AppId, LastTime
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new ConversationRow
            {
                UserId = reader.GetString(0), ConvType = reader.GetInt32(1), ConvKey = reader.GetString(2), ReadSeq = reader.GetInt64(3),
                ClearedSeq = reader.GetInt64(4), Muted = reader.GetBoolean(5), Pinned = reader.GetBoolean(6), MaxSeq = reader.GetInt64(7),
            };
            list.Add(row.ToConversation(reader.IsDBNull(Columns) ? null : ReadMessage(reader, Columns)));
        }
        return list;
    }

    private static string MessageColumnsOf(string alias) => string.Join(", ", MessageColumns.Split(", ").Select(col => $"{alias}.{col}"));

    private static async Task<List<StoredMessage>> QueryMessagesAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, object args, CancellationToken cancellationToken = default)
    {
        await using var reader = await c.ExecuteReaderAsync(new CommandDefinition(sql, args, tx, cancellationToken: cancellationToken));
        var list = new List<StoredMessage>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(ReadMessage(reader));
        return list;
    }

    // The columns of MessageColumns, in order, from column at.
    private static StoredMessage ReadMessage(DbDataReader r, int at = 0) => new()
    {
        MessageId = r.GetInt64(at), AppId = (uint)r.GetInt64(at + 1), ConversationType = (ConversationType)r.GetInt32(at + 2), ConversationKey = r.GetString(at + 3),
        Seq = r.GetInt64(at + 4), SenderUserId = r.GetString(at + 5), LocalMessageId = r.GetInt64(at + 6), Type = (ChatMessageType)r.GetInt32(at + 7),
        Text = r.IsDBNull(at + 8) ? null : Decode(r.GetFieldValue<byte[]>(at + 8)), SubType = r.GetInt32(at + 9),
        SearchedContent = r.IsDBNull(at + 10) ? null : Decode(r.GetFieldValue<byte[]>(at + 10)), ExtendedData = r.IsDBNull(at + 11) ? null : Decode(r.GetFieldValue<byte[]>(at + 11)),
        HasReceipt = r.GetBoolean(at + 12), ReceiptRead = r.GetBoolean(at + 13), Priority = r.GetInt32(at + 14), Timestamp = r.GetInt64(at + 15),
        MentionedUserIds = r.IsDBNull(at + 16) ? null : r.GetString(at + 16).Split('\n'),
    };

    private static byte[]? Encode(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);

    private static string? Decode(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    // Every read runs here on its own pooled connection: the database's errors leave as the interface's ChatStoreException.
    private async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        if (_queue.IsClosed) throw PostgresFailures.Closed(StoreName);
        try
        {
            await using var c = await _data.OpenConnectionAsync(cancellationToken);
            return await read(c);
        }
        catch (Exception ex) when (PostgresFailures.IsDatabaseError(ex) && !cancellationToken.IsCancellationRequested)
        {
            if (PostgresFailures.IsConnectionError(ex)) _data.Clear(); // the pool's other connections are likely broken too
            throw PostgresFailures.Wrap(ex, "a chat store read");
        }
        catch (ObjectDisposedException) when (_queue.IsClosed)
        {
            throw PostgresFailures.Closed(StoreName);
        }
    }

    // ---- the writer -------------------------------------------------------------------------

    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        (T)(await _queue.EnqueueAsync(new WriteOp(async (c, tx) => await work(c, tx)), cancellationToken))!;

    // Runs writes [from, to): consecutive appends as one batched segment, other writes one by one.
    private async Task RunAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<WriteOp> batch, int from, int to, object?[] results)
    {
        int i = from;
        while (i < to)
        {
            if (batch[i].Message is not null)
            {
                int end = i;
                while (end < to && batch[end].Message is not null) end++;
                await AppendSegmentAsync(c, batch, i, end, results, CancellationToken.None);
                i = end;
            }
            else
            {
                results[i] = await batch[i].Work!(c, tx);
                i++;
            }
        }
    }

    /// <summary>
    /// The database side of the writer (see <see cref="GroupCommitQueue{TOperation, TResult}"/>): a batch first runs whole,
    /// without savepoints (the appends batched). If one write fails on its own, the queue rolls back and runs the batch
    /// again with each write in a savepoint, so that only that write fails. A deadlock or serialization failure runs the
    /// batch again; a failure of the connection or of the commit fails every write of the batch (nothing of it is stored,
    /// or, for a commit whose answer was lost, possibly all of it: a retried send is then found by its retry key).
    /// </summary>
    private sealed class ChatWriter(PostgresChatStore store) : IGroupCommitDatabase<WriteOp, object?>
    {
        public async ValueTask<IGroupCommitTransaction<WriteOp, object?>> BeginAsync()
        {
            var c = await store._data.OpenConnectionAsync();
            try
            {
                return new Transaction(store, c, await c.BeginTransactionAsync());
            }
            catch
            {
                await c.DisposeAsync();
                throw;
            }
        }

        public Exception? OperationFailure(Exception error) =>
            !PostgresFailures.IsStatementError(error) ? null : error is PostgresException ? PostgresFailures.Wrap(error, "a chat store write") : error;

        public bool IsRetryable(Exception error) => PostgresFailures.IsRetryable(error);

        public Exception BatchFailure(Exception error)
        {
            if (!PostgresFailures.IsDatabaseError(error) && error is not (InvalidOperationException or ObjectDisposedException))
                return new ChatStoreException(ChatStoreFailure.Unavailable, $"a chat store write failed: {error.Message}", error);
            if (PostgresFailures.IsConnectionError(error)) store._data.Clear(); // the pool's other connections are likely broken too
            return error is ObjectDisposedException ? PostgresFailures.Closed(StoreName) : PostgresFailures.Wrap(error, "a chat store commit");
        }

        public void AfterCommit(WriteOp operation, object? result)
        {
            if (result is AppendResult { Duplicate: false } appended && operation.Message?.OnCommitted is { } hook) hook(appended.Message);
        }
    }

    private sealed class Transaction(PostgresChatStore store, NpgsqlConnection connection, NpgsqlTransaction transaction) : IGroupCommitTransaction<WriteOp, object?>
    {
        private const string Savepoint = "op";

        public async ValueTask<bool> TryRunAllAsync(IReadOnlyList<WriteOp> operations, object?[] results)
        {
            await store.RunAsync(connection, transaction, operations, 0, operations.Count, results);
            return true;
        }

        public async ValueTask<object?> RunAsync(WriteOp operation)
        {
            var result = new object?[1];
            await store.RunAsync(connection, transaction, [operation], 0, 1, result);
            return result[0];
        }

        public ValueTask SavepointAsync() => new(transaction.SaveAsync(Savepoint));

        public ValueTask ReleaseSavepointAsync() => new(transaction.ReleaseAsync(Savepoint));

        public ValueTask RollbackToSavepointAsync() => new(transaction.RollbackAsync(Savepoint));

        public ValueTask CommitAsync() => new(transaction.CommitAsync());

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>Stops taking writes, finishes the queued ones and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue.IsClosed) return;
        await _queue.DisposeAsync();
        if (_ownsData) await _data.DisposeAsync();
    }

    private sealed class WriteOp
    {
        public WriteOp(NewMessage message) => Message = message;

        public WriteOp(Func<NpgsqlConnection, NpgsqlTransaction, Task<object?>> work) => Work = work;

        public NewMessage? Message { get; }
        public Func<NpgsqlConnection, NpgsqlTransaction, Task<object?>>? Work { get; }
    }

    private sealed class ConversationRow
    {
        public string UserId { get; set; } = "";
        public int ConvType { get; set; }
        public string ConvKey { get; set; } = "";
        public long ReadSeq { get; set; }
        public long ClearedSeq { get; set; }
        public bool Muted { get; set; }
        public bool Pinned { get; set; }
        public long MaxSeq { get; set; }

        public UserConversation ToConversation(StoredMessage? lastMessage) => new()
        {
            ConversationType = (ConversationType)ConvType, ConversationKey = ConvKey, MaxSeq = MaxSeq, ReadSeq = ReadSeq,
            ClearedSeq = ClearedSeq, Muted = Muted, Pinned = Pinned, LastMessage = lastMessage,
        };
    }

    private sealed class AccessRow
    {
        public string? GroupId { get; set; }
        public byte[]? Name { get; set; }
        public string? Owner { get; set; }
        public long CreateTime { get; set; }
        public long Members { get; set; }
        public bool IsMember { get; set; }
        public long? LeftSeq { get; set; }
        public bool? Kicked { get; set; }
    }

    private sealed class GroupRow
    {
        public string GroupId { get; set; } = "";
        public byte[] Name { get; set; } = [];
        public string Owner { get; set; } = "";
        public long CreateTime { get; set; }
        public long Members { get; set; }
    }
}
