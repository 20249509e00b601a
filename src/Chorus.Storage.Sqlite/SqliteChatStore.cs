using System.Data;
using Chorus.Protocol;
using Chorus.Storage.GroupCommit;
using Chorus.Storage.Sql;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Chorus.Storage.Sqlite;

/// <summary>
/// The embedded chat store: one SQLite file in WAL mode with <c>synchronous=FULL</c>. Every write goes through one
/// writer thread that commits whatever is queued as one transaction (group commit): many senders share one fsync,
/// and each write runs in its own savepoint so that one failure does not undo the others. A write's task completes
/// only after its transaction committed. Reads use their own pooled connections.
/// </summary>
public sealed class SqliteChatStore : IChatStore
{
    /// <summary>Most writes committed together.</summary>
    public const int MaxBatch = 512;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly PreparedStatements _statements; // the writer's
    private readonly GroupCommitQueue<WriteOp, object?> _queue;
    private readonly TimeProvider _time;
    private readonly MessageIdGenerator _ids;

    private const string StoreName = "chat store";

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="ids">The MessageId source shared with unstored messages; seeded here with the largest stored id.</param>
    /// <param name="time">The clock for timestamps.</param>
    public SqliteChatStore(string path, MessageIdGenerator? ids = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _ids = ids ?? new MessageIdGenerator(_time);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        _writer.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
        _writer.Execute(Schema);
        Migrate(_writer);
        _statements = new PreparedStatements(_writer);
        _ids.AtLeast(_writer.ExecuteScalar<long?>("SELECT MAX(message_id) FROM messages") ?? 0);
        // SQLite's work is synchronous and blocks for each fsync: the writer keeps a thread of its own, off the thread pool.
        _queue = new GroupCommitQueue<WriteOp, object?>(new ChatWriter(_writer), new GroupCommitOptions
        {
            MaxBatch = MaxBatch, DedicatedThreadName = "chorus-sqlite-writer", Closed = () => SqliteFailures.Closed(StoreName),
        });
    }

    /// <summary>Transactions committed so far (each may hold many writes).</summary>
    public long Commits => _queue.Commits;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS conversations(
            app_id INTEGER NOT NULL, conv_type INTEGER NOT NULL, conv_key TEXT NOT NULL,
            max_seq INTEGER NOT NULL, last_time INTEGER NOT NULL,
            PRIMARY KEY(app_id, conv_type, conv_key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS messages(
            message_id INTEGER PRIMARY KEY, app_id INTEGER NOT NULL, conv_type INTEGER NOT NULL, conv_key TEXT NOT NULL,
            seq INTEGER NOT NULL, sender TEXT NOT NULL, local_id INTEGER NOT NULL, type INTEGER NOT NULL, text TEXT,
            sub_type INTEGER NOT NULL, searched TEXT, extended TEXT, has_receipt INTEGER NOT NULL, receipt_read INTEGER NOT NULL,
            priority INTEGER NOT NULL, ts INTEGER NOT NULL, mentioned TEXT);
        CREATE UNIQUE INDEX IF NOT EXISTS messages_by_seq ON messages(app_id, conv_type, conv_key, seq);
        CREATE UNIQUE INDEX IF NOT EXISTS messages_by_local_id_in_conversation ON messages(app_id, sender, conv_type, conv_key, local_id) WHERE local_id <> 0;
        CREATE TABLE IF NOT EXISTS user_conversations(
            app_id INTEGER NOT NULL, user_id TEXT NOT NULL, conv_type INTEGER NOT NULL, conv_key TEXT NOT NULL,
            read_seq INTEGER NOT NULL DEFAULT 0, cleared_seq INTEGER NOT NULL DEFAULT 0, hidden_seq INTEGER NOT NULL DEFAULT -1,
            muted INTEGER NOT NULL DEFAULT 0, pinned INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(app_id, user_id, conv_type, conv_key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS deleted_messages(
            app_id INTEGER NOT NULL, user_id TEXT NOT NULL, message_id INTEGER NOT NULL,
            PRIMARY KEY(app_id, user_id, message_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS chat_groups(
            app_id INTEGER NOT NULL, group_id TEXT NOT NULL, name TEXT NOT NULL, owner TEXT NOT NULL, create_time INTEGER NOT NULL,
            PRIMARY KEY(app_id, group_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS group_members(
            app_id INTEGER NOT NULL, group_id TEXT NOT NULL, user_id TEXT NOT NULL, joined_at INTEGER NOT NULL, join_order INTEGER NOT NULL,
            PRIMARY KEY(app_id, group_id, user_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS chat_groups_by_owner ON chat_groups(app_id, owner);
        CREATE TABLE IF NOT EXISTS group_leavers(
            app_id INTEGER NOT NULL, group_id TEXT NOT NULL, user_id TEXT NOT NULL, left_seq INTEGER NOT NULL, left_at INTEGER NOT NULL,
            kicked INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(app_id, group_id, user_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS dismissed_groups(
            app_id INTEGER NOT NULL, group_id TEXT NOT NULL, dismissed_at INTEGER NOT NULL, owner TEXT, create_time INTEGER,
            PRIMARY KEY(app_id, group_id)) WITHOUT ROWID;
        """;

    /// <summary>The schema version <see cref="Migrate"/> brings a database to (SQLite's user_version).</summary>
    private const int SchemaVersion = 3;

    /// <summary>
    /// Brings a data directory written by an earlier version up to date; each step runs once and is safe to repeat.
    /// Version 2: deduplication is keyed per conversation (the old (app, sender, LocalMessageId) index is dropped; the new,
    /// wider one is made by <see cref="Schema"/>), and the IDs of groups dismissed before this version are recorded as
    /// dismissed (a group conversation with messages but no group), so that a new group cannot take over their history.
    /// Members who left a group before version 2 have no recorded leave point and count as non-members.
    /// Version 3: a leave point records whether the member was kicked (group_leavers.kicked; earlier ones count as left),
    /// and a dismissed group keeps its owner and creation time (dismissed_groups.owner, create_time; null for earlier ones),
    /// so that group creations per owner per hour count dismissed groups too.
    /// </summary>
    private static void Migrate(SqliteConnection c)
    {
        if (c.ExecuteScalar<long>("PRAGMA user_version") >= SchemaVersion) return;
        using var tx = c.BeginTransaction();
        if (!HasColumn("group_leavers", "kicked")) c.Execute("ALTER TABLE group_leavers ADD COLUMN kicked INTEGER NOT NULL DEFAULT 0", transaction: tx);
        if (!HasColumn("dismissed_groups", "owner")) c.Execute("ALTER TABLE dismissed_groups ADD COLUMN owner TEXT", transaction: tx);
        if (!HasColumn("dismissed_groups", "create_time")) c.Execute("ALTER TABLE dismissed_groups ADD COLUMN create_time INTEGER", transaction: tx);
        c.Execute("CREATE INDEX IF NOT EXISTS dismissed_groups_by_owner ON dismissed_groups(app_id, owner, create_time)", transaction: tx);
        bool HasColumn(string table, string column) =>
            c.ExecuteScalar<long>($"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = @Column", new { Column = column }, tx) > 0;
        c.Execute("DROP INDEX IF EXISTS messages_by_local_id", transaction: tx);
        c.Execute($"""
            INSERT OR IGNORE INTO dismissed_groups(app_id, group_id, dismissed_at)
            SELECT c.app_id, c.conv_key, 0 FROM conversations c
            WHERE c.conv_type = {(int)ConversationType.Group}
              AND NOT EXISTS (SELECT 1 FROM chat_groups g WHERE g.app_id = c.app_id AND g.group_id = c.conv_key)
            """, transaction: tx);
        c.Execute($"PRAGMA user_version = {SchemaVersion}", transaction: tx);
        tx.Commit();
    }

    private static readonly string RetriedSend = $"SELECT message_id FROM messages m WHERE {ChatSql.SameRetryKey("m", "@p0", "@p1", "@p2", "@p3", "@p4")}";

    private const string MessageColumns = "message_id, app_id, conv_type, conv_key, seq, sender, local_id, type, text, sub_type, searched, extended, has_receipt, receipt_read, priority, ts, mentioned";

    // ---- writes ---------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<AppendResult> AppendAsync(NewMessage m, CancellationToken cancellationToken = default) => WriteAsync((c, tx) =>
    {
        // (the writer calls m.OnCommitted after the commit, in batch order: see ChatWriter.AfterCommit)
        // The statements run on every message are kept prepared (see PreparedStatements).
        if (ChatSql.IsDeduplicated(m.LocalMessageId))
        {
            // The key is (app, sender, conversation, LocalMessageId): the same LocalMessageId sent to another conversation is
            // another message (see ChatSql.SameRetryKey).
            var found = _statements.Bind(RetriedSend,
                tx, (long)m.AppId, m.SenderUserId, (long)m.ConversationType, m.ConversationKey, m.LocalMessageId).ExecuteScalar();
            if (found is long existingId)
            {
                var existing = c.QuerySingle<MessageRow>($"SELECT {MessageColumns} FROM messages WHERE message_id=@Id", new { Id = existingId }, tx);
                return new AppendResult(existing.ToStored(), Duplicate: true);
            }
        }
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long seq = (long)_statements.Bind("""
            INSERT INTO conversations(app_id, conv_type, conv_key, max_seq, last_time) VALUES (@p0, @p1, @p2, 1, @p3)
            ON CONFLICT(app_id, conv_type, conv_key) DO UPDATE SET max_seq = max_seq + 1, last_time = @p3
            RETURNING max_seq
            """, tx, (long)m.AppId, (long)m.ConversationType, m.ConversationKey, now).ExecuteScalar()!;
        long id = _ids.Next();
        var stored = new StoredMessage
        {
            MessageId = id, AppId = m.AppId, ConversationType = m.ConversationType, ConversationKey = m.ConversationKey, Seq = seq,
            SenderUserId = m.SenderUserId, LocalMessageId = m.LocalMessageId, Type = m.Type, Text = m.Text, SubType = m.SubType,
            SearchedContent = m.SearchedContent, ExtendedData = m.ExtendedData, HasReceipt = m.HasReceipt, Priority = m.Priority,
            Timestamp = now, MentionedUserIds = m.MentionedUserIds,
        };
        _statements.Bind($"INSERT INTO messages({MessageColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, 0, @p13, @p14, @p15)", tx,
            stored.MessageId, (long)stored.AppId, (long)stored.ConversationType, stored.ConversationKey, stored.Seq, stored.SenderUserId, stored.LocalMessageId,
            (long)stored.Type, stored.Text, (long)stored.SubType, stored.SearchedContent, stored.ExtendedData, stored.HasReceipt ? 1L : 0L,
            (long)stored.Priority, stored.Timestamp, stored.MentionedUserIds is { Length: > 0 } mentioned ? string.Join('\n', mentioned) : null).ExecuteNonQuery();
        foreach (var user in m.EnsureConversationFor)
            _statements.Bind("INSERT OR IGNORE INTO user_conversations(app_id, user_id, conv_type, conv_key) VALUES (@p0, @p1, @p2, @p3)", tx,
                (long)m.AppId, user, (long)m.ConversationType, m.ConversationKey).ExecuteNonQuery();
        // Sending implies having read everything before: the sender's own message never counts as unread.
        _statements.Bind("UPDATE user_conversations SET read_seq = MAX(read_seq, @p0) WHERE app_id=@p1 AND user_id=@p2 AND conv_type=@p3 AND conv_key=@p4", tx,
            seq, (long)m.AppId, m.SenderUserId, (long)m.ConversationType, m.ConversationKey).ExecuteNonQuery();
        return new AppendResult(stored, Duplicate: false);
    }, cancellationToken, afterCommit: m.OnCommitted is null ? null : r => { if (r is AppendResult { Duplicate: false } a) m.OnCommitted(a.Message); });

    /// <inheritdoc />
    public Task DeleteMessagesAsync(uint appId, string userId, ConversationType type, string conversationKey, IReadOnlyList<long> messageIds, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            foreach (long id in messageIds)
                c.Execute("""
                    INSERT OR IGNORE INTO deleted_messages(app_id, user_id, message_id)
                    SELECT app_id, @User, message_id FROM messages WHERE app_id=@App AND message_id=@Id AND conv_type=@Type AND conv_key=@Key
                    """, new { App = appId, User = userId, Id = id, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task DeleteAllMessagesAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            long max = MaxSeq(c, tx, appId, type, conversationKey);
            EnsureUserConversation(c, tx, appId, userId, type, conversationKey);
            c.Execute("UPDATE user_conversations SET cleared_seq = @Max, read_seq = MAX(read_seq, @Max) WHERE app_id=@App AND user_id=@User AND conv_type=@Type AND conv_key=@Key",
                new { Max = max, App = appId, User = userId, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<StoredMessage?> RevokeAsync(uint appId, long messageId, CancellationToken cancellationToken = default) => WriteAsync((c, tx) =>
    {
        int n = c.Execute("UPDATE messages SET type = @Revoke, text = NULL, searched = NULL, extended = NULL WHERE app_id=@App AND message_id=@Id",
            new { Revoke = (int)ChatMessageType.Revoke, App = appId, Id = messageId }, tx);
        return n == 0 ? null : c.QuerySingle<MessageRow>($"SELECT {MessageColumns} FROM messages WHERE message_id=@Id", new { Id = messageId }, tx).ToStored();
    }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredMessage>> MarkReceiptsReadAsync(uint appId, IReadOnlyList<long> messageIds, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<StoredMessage>>((c, tx) =>
        {
            var changed = new List<StoredMessage>();
            foreach (long id in messageIds)
            {
                var row = c.QuerySingleOrDefault<MessageRow>($"UPDATE messages SET receipt_read = 1 WHERE app_id=@App AND message_id=@Id AND has_receipt = 1 AND receipt_read = 0 RETURNING {MessageColumns}",
                    new { App = appId, Id = id }, tx);
                if (row is not null) changed.Add(row.ToStored());
            }
            return changed;
        }, cancellationToken);

    /// <inheritdoc />
    public Task MarkReadAsync(uint appId, string userId, ConversationType type, string conversationKey, long? seq, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            long upTo = seq ?? MaxSeq(c, tx, appId, type, conversationKey);
            EnsureUserConversation(c, tx, appId, userId, type, conversationKey);
            c.Execute("UPDATE user_conversations SET read_seq = MAX(read_seq, @UpTo) WHERE app_id=@App AND user_id=@User AND conv_type=@Type AND conv_key=@Key",
                new { UpTo = upTo, App = appId, User = userId, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task SetMutedAsync(uint appId, string userId, ConversationType type, string conversationKey, bool muted, CancellationToken cancellationToken = default) =>
        UpdateUserConversation(appId, userId, type, conversationKey, "muted = @Value", muted ? 1 : 0, cancellationToken);

    /// <inheritdoc />
    public Task SetPinnedAsync(uint appId, string userId, ConversationType type, string conversationKey, bool pinned, CancellationToken cancellationToken = default) =>
        UpdateUserConversation(appId, userId, type, conversationKey, "pinned = @Value", pinned ? 1 : 0, cancellationToken);

    /// <inheritdoc />
    public Task HideConversationAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            long max = MaxSeq(c, tx, appId, type, conversationKey);
            c.Execute("UPDATE user_conversations SET hidden_seq = @Max, read_seq = MAX(read_seq, @Max) WHERE app_id=@App AND user_id=@User AND conv_type=@Type AND conv_key=@Key",
                new { Max = max, App = appId, User = userId, Type = (int)type, Key = conversationKey }, tx);
            return true;
        }, cancellationToken);

    private Task UpdateUserConversation(uint appId, string userId, ConversationType type, string key, string set, int value, CancellationToken cancellationToken) =>
        WriteAsync((c, tx) =>
        {
            EnsureUserConversation(c, tx, appId, userId, type, key);
            c.Execute($"UPDATE user_conversations SET {set} WHERE app_id=@App AND user_id=@User AND conv_type=@Type AND conv_key=@Key",
                new { Value = value, App = appId, User = userId, Type = (int)type, Key = key }, tx);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupChange> CreateGroupAsync(uint appId, string groupId, string name, string ownerUserId, IReadOnlyList<string> members, int maxMembers,
        int maxGroupsPerOwner, int maxCreatesPerOwnerPerHour, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var args = new { App = appId, Group = groupId, Owner = ownerUserId, Since = now - 3_600_000 };
            if (GroupExists(c, tx, appId, groupId)) return GroupChange.Exists;
            if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM dismissed_groups WHERE app_id=@App AND group_id=@Group", args, tx) > 0)
                return GroupChange.Dismissed;
            // counted in the same write as the insert: concurrent creates cannot pass the limit together
            if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM chat_groups WHERE app_id=@App AND owner=@Owner", args, tx) >= maxGroupsPerOwner)
                return GroupChange.OwnerLimit;
            // creations in the last hour, the dismissed ones included (create-and-dismiss churn)
            if (c.ExecuteScalar<long>("SELECT (SELECT COUNT(*) FROM chat_groups WHERE app_id=@App AND owner=@Owner AND create_time > @Since)"
                    + " + (SELECT COUNT(*) FROM dismissed_groups WHERE app_id=@App AND owner=@Owner AND create_time > @Since)", args, tx) >= maxCreatesPerOwnerPerHour)
                return GroupChange.CreateRateLimit;
            var all = members.Prepend(ownerUserId).Distinct(StringComparer.Ordinal).ToList();
            if (all.Count > maxMembers) return GroupChange.Full;
            c.Execute("INSERT INTO chat_groups(app_id, group_id, name, owner, create_time) VALUES (@App, @Group, @Name, @Owner, @Now)",
                new { App = appId, Group = groupId, Name = name, Owner = ownerUserId, Now = now }, tx);
            AddMembers(c, tx, appId, groupId, all, now);
            return GroupChange.Done;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupChange> AddGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, int maxMembers, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            if (!GroupExists(c, tx, appId, groupId)) return GroupChange.Missing;
            var current = c.Query<string>("SELECT user_id FROM group_members WHERE app_id=@App AND group_id=@Group", new { App = appId, Group = groupId }, tx).ToHashSet(StringComparer.Ordinal);
            var added = userIds.Distinct(StringComparer.Ordinal).Where(u => !current.Contains(u)).ToList();
            if (current.Count + added.Count > maxMembers) return GroupChange.Full;
            AddMembers(c, tx, appId, groupId, added, _time.GetUtcNow().ToUnixTimeMilliseconds());
            return GroupChange.Done;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupChange> RemoveGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => RemoveMembers(c, tx, appId, groupId, userIds, kicked: false) is null ? GroupChange.Missing : GroupChange.Done, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>?> KickGroupMembersAsync(uint appId, string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<string>?>((c, tx) => RemoveMembers(c, tx, appId, groupId, userIds, kicked: true), cancellationToken);

    /// <summary>Removes members (a leave or a kick), recording each one's leave point; the users actually removed, or
    /// null when the group does not exist.</summary>
    private List<string>? RemoveMembers(SqliteConnection c, SqliteTransaction tx, uint appId, string groupId, IReadOnlyList<string> userIds, bool kicked)
    {
        if (!GroupExists(c, tx, appId, groupId)) return null;
        long max = MaxSeq(c, tx, appId, ConversationType.Group, groupId), now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var removed = new List<string>();
        foreach (var u in userIds.Distinct(StringComparer.Ordinal))
        {
            if (c.Execute("DELETE FROM group_members WHERE app_id=@App AND group_id=@Group AND user_id=@User", new { App = appId, Group = groupId, User = u }, tx) > 0)
            {
                RecordLeaver(c, tx, appId, groupId, u, max, now, kicked);
                removed.Add(u);
            }
        }
        return removed;
    }

    private static bool GroupExists(SqliteConnection c, SqliteTransaction tx, uint appId, string groupId) =>
        c.ExecuteScalar<long>("SELECT COUNT(*) FROM chat_groups WHERE app_id=@App AND group_id=@Group", new { App = appId, Group = groupId }, tx) > 0;

    /// <inheritdoc />
    public Task<GroupChange> DismissGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            var args = new { App = appId, Group = groupId };
            var gone = c.Query<(string Owner, long CreateTime)>("DELETE FROM chat_groups WHERE app_id=@App AND group_id=@Group RETURNING owner, create_time", args, tx).ToList();
            if (gone.Count == 0) return GroupChange.Missing;
            long max = MaxSeq(c, tx, appId, ConversationType.Group, groupId), now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var members = c.Query<string>("DELETE FROM group_members WHERE app_id=@App AND group_id=@Group RETURNING user_id", args, tx).ToList();
            if (max > 0)
            {
                foreach (var u in members) RecordLeaver(c, tx, appId, groupId, u, max, now);
            }
            else
            {
                // Nothing was ever sent: no one has anything to read, so nothing is kept for anyone (no leave points, no conversation entries).
                c.Execute("DELETE FROM group_leavers WHERE app_id=@App AND group_id=@Group", args, tx);
                c.Execute($"DELETE FROM user_conversations WHERE app_id=@App AND conv_type={GroupType} AND conv_key=@Group", args, tx);
            }
            c.Execute("INSERT OR IGNORE INTO dismissed_groups(app_id, group_id, dismissed_at, owner, create_time) VALUES (@App, @Group, @Now, @Owner, @Created)",
                new { App = appId, Group = groupId, Now = now, Owner = gone[0].Owner, Created = gone[0].CreateTime }, tx);
            return GroupChange.Done;
        }, cancellationToken);

    private static void AddMembers(SqliteConnection c, SqliteTransaction tx, uint appId, string groupId, IEnumerable<string> users, long now)
    {
        long max = MaxSeq(c, tx, appId, ConversationType.Group, groupId);
        foreach (var u in users)
        {
            c.Execute("""
                INSERT OR IGNORE INTO group_members(app_id, group_id, user_id, joined_at, join_order)
                VALUES (@App, @Group, @User, @Now, (SELECT COALESCE(MAX(join_order), 0) + 1 FROM group_members WHERE app_id=@App AND group_id=@Group))
                """,
                new { App = appId, Group = groupId, User = u, Now = now }, tx);
            // A former member who comes back is a member again.
            c.Execute("DELETE FROM group_leavers WHERE app_id=@App AND group_id=@Group AND user_id=@User", new { App = appId, Group = groupId, User = u }, tx);
            // A new member starts with nothing unread; one who comes back keeps its entry.
            c.Execute("INSERT INTO user_conversations(app_id, user_id, conv_type, conv_key, read_seq) VALUES (@App, @User, @Type, @Group, @Max) ON CONFLICT DO UPDATE SET hidden_seq = -1",
                new { App = appId, User = u, Type = (int)ConversationType.Group, Group = groupId, Max = max }, tx);
        }
    }

    // The leave point: the group's sequence number when the user stopped being a member (written in the same write that removes the member).
    // A kicked member may not join again on its own (see IChatStore.KickGroupMembersAsync).
    private static void RecordLeaver(SqliteConnection c, SqliteTransaction tx, uint appId, string groupId, string userId, long leftSeq, long now, bool kicked = false) =>
        c.Execute("INSERT OR REPLACE INTO group_leavers(app_id, group_id, user_id, left_seq, left_at, kicked) VALUES (@App, @Group, @User, @Seq, @Now, @Kicked)",
            new { App = appId, Group = groupId, User = userId, Seq = leftSeq, Now = now, Kicked = kicked ? 1 : 0 }, tx);

    private static long MaxSeq(SqliteConnection c, SqliteTransaction? tx, uint appId, ConversationType type, string key) =>
        c.ExecuteScalar<long?>("SELECT max_seq FROM conversations WHERE app_id=@App AND conv_type=@Type AND conv_key=@Key",
            new { App = appId, Type = (int)type, Key = key }, tx) ?? 0;

    private static void EnsureUserConversation(SqliteConnection c, SqliteTransaction tx, uint appId, string userId, ConversationType type, string key) =>
        c.Execute("INSERT OR IGNORE INTO user_conversations(app_id, user_id, conv_type, conv_key) VALUES (@App, @User, @Type, @Key)",
            new { App = appId, User = userId, Type = (int)type, Key = key }, tx);

    // ---- reads ----------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredMessage>> QueryHistoryAsync(uint appId, string userId, ConversationType type, string conversationKey,
        long? startSeq, int count, bool forward, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<StoredMessage>>(async c =>
    {
        // A group's history ends for a former member at the leave point, and does not exist for anyone else.
        var (cleared, upTo) = await c.QuerySingleAsync<(long, long)>(Sql.HistoryBounds, new { App = appId, User = userId, Type = (int)type, Key = conversationKey });
        string range = forward ? "seq > @Start ORDER BY seq ASC" : "seq < @Start ORDER BY seq DESC";
        long start = forward ? Math.Max(startSeq ?? 0, cleared) : startSeq ?? long.MaxValue;
        var rows = await c.QueryAsync<MessageRow>(new CommandDefinition($"""
            SELECT {MessageColumns} FROM messages m
            WHERE app_id=@App AND conv_type=@Type AND conv_key=@Key AND {Sql.VisibleTo("m", "@User", "@Cleared", "@UpTo")}
              AND {range} LIMIT @Count
            """, new { App = appId, Type = (int)type, Key = conversationKey, Cleared = cleared, UpTo = upTo, User = userId, Start = start, Count = count }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToStored()).ToList();
    }, cancellationToken);

    /// <inheritdoc />
    public Task<StoredMessage?> GetMessageAsync(uint appId, long messageId, CancellationToken cancellationToken = default) => ReadAsync<StoredMessage?>(async c =>
    {
        var row = await c.QuerySingleOrDefaultAsync<MessageRow>($"SELECT {MessageColumns} FROM messages WHERE app_id=@App AND message_id=@Id", new { App = appId, Id = messageId });
        return row?.ToStored();
    }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<UserConversation>> QueryConversationsAsync(uint appId, string userId, int count, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<UserConversation>>(async c =>
    {
        var rows = (await c.QueryAsync<ConversationRow>($"{ConversationSelect} AND {Sql.Listed} ORDER BY uc.pinned DESC, COALESCE(c.last_time, 0) DESC LIMIT @Count",
            new { App = appId, User = userId, Count = count })).ToList();
        var result = new List<UserConversation>(rows.Count);
        foreach (var r in rows) result.Add(await ToConversationAsync(c, appId, userId, r));
        return result;
    }, cancellationToken);

    /// <inheritdoc />
    public Task<UserConversation?> GetConversationAsync(uint appId, string userId, ConversationType type, string conversationKey, CancellationToken cancellationToken = default) => ReadAsync<UserConversation?>(async c =>
    {
        var row = await c.QuerySingleOrDefaultAsync<ConversationRow>($"{ConversationSelect} AND uc.conv_type=@Type AND uc.conv_key=@Key",
            new { App = appId, User = userId, Type = (int)type, Key = conversationKey });
        return row is null ? null : await ToConversationAsync(c, appId, userId, row);
    }, cancellationToken);

    /// <inheritdoc />
    public Task<long> GetUnreadTotalAsync(uint appId, string userId, CancellationToken cancellationToken = default) => ReadAsync<long>(async c =>
    {
        return await c.ExecuteScalarAsync<long?>($"SELECT {Sql.UnreadSum} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id=@User AND {Sql.CountsAsUnread}",
            new { App = appId, User = userId }) ?? 0;
    }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<UserConversationState>> GetConversationStatesAsync(uint appId, IReadOnlyList<string> userIds, ConversationType type, string conversationKey,
        CancellationToken cancellationToken = default)
    {
        if (userIds.Count == 0) return [];
        return await ReadAsync<IReadOnlyList<UserConversationState>>(async c =>
        {
            var args = new { App = appId, Users = userIds, Type = (int)type, Key = conversationKey };
            var rows = await c.QueryAsync<ConversationRow>(
                $"SELECT {Sql.ConversationColumns} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id IN @Users AND uc.conv_type=@Type AND uc.conv_key=@Key AND {Sql.MayRead}", args);
            var totals = (await c.QueryAsync<(string UserId, long Total)>(
                $"SELECT uc.user_id, {Sql.UnreadSum} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id IN @Users AND {Sql.CountsAsUnread} GROUP BY uc.user_id", args))
                .ToDictionary(t => t.UserId, t => t.Total);
            return rows.Select(r => new UserConversationState(r.UserId, r.ToConversation(lastMessage: null), totals.GetValueOrDefault(r.UserId))).ToList();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredGroup?> GetGroupAsync(uint appId, string groupId, CancellationToken cancellationToken = default) => ReadAsync<StoredGroup?>(async c =>
    {
        var g = await c.QuerySingleOrDefaultAsync<GroupRow>("""
            SELECT group_id AS GroupId, name AS Name, owner AS Owner, create_time AS CreateTime,
                   (SELECT COUNT(*) FROM group_members m WHERE m.app_id=g.app_id AND m.group_id=g.group_id) AS Members
            FROM chat_groups g WHERE app_id=@App AND group_id=@Group
            """, new { App = appId, Group = groupId });
        return g is null ? null : new StoredGroup(g.GroupId, g.Name, g.Owner, g.CreateTime, (int)g.Members);
    }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetGroupMembersAsync(uint appId, string groupId, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<string>>(async c =>
    {
        return (await c.QueryAsync<string>("SELECT user_id FROM group_members WHERE app_id=@App AND group_id=@Group ORDER BY join_order",
            new { App = appId, Group = groupId })).ToList();
    }, cancellationToken);

    /// <inheritdoc />
    public Task<GroupAccess> GetGroupAccessAsync(uint appId, string groupId, string userId, CancellationToken cancellationToken = default) => ReadAsync<GroupAccess>(async c =>
    {
        var row = await c.QuerySingleAsync<AccessRow>("""
            SELECT g.group_id AS GroupId, g.name AS Name, g.owner AS Owner, g.create_time AS CreateTime,
                   (SELECT COUNT(*) FROM group_members m WHERE m.app_id=@App AND m.group_id=@Group) AS Members,
                   EXISTS (SELECT 1 FROM group_members m WHERE m.app_id=@App AND m.group_id=@Group AND m.user_id=@User) AS IsMember,
                   l.left_seq AS LeftSeq, l.kicked AS Kicked
            FROM (SELECT 1)
            LEFT JOIN chat_groups g ON g.app_id=@App AND g.group_id=@Group
            LEFT JOIN group_leavers l ON l.app_id=@App AND l.group_id=@Group AND l.user_id=@User
            """, new { App = appId, Group = groupId, User = userId });
        var group = row.GroupId is null ? null : new StoredGroup(row.GroupId, row.Name ?? "", row.Owner ?? "", row.CreateTime, (int)row.Members);
        return new GroupAccess(group, row.IsMember != 0, row.IsMember != 0 ? null : row.LeftSeq, row.IsMember == 0 && row.Kicked == 1);
    }, cancellationToken);

    /// <summary>Runs SQLite's integrity check; returns "ok" for a sound database.</summary>
    public Task<string> CheckIntegrityAsync() => ReadAsync<string>(async c =>
    {
        return await c.ExecuteScalarAsync<string>("PRAGMA integrity_check") ?? "";
    }, CancellationToken.None);

    // The rules both databases share (who sees which conversation, up to where, unread counts), in SQLite's words.
    private static readonly ChatSql Sql = new(new ChatSqlDialect
    {
        Conversations = "conversations", Messages = "messages", UserConversations = "user_conversations", DeletedMessages = "deleted_messages",
        GroupMembers = "group_members", GroupLeavers = "group_leavers", Least = "MIN", Greatest = "MAX", False = "0",
    });

    private static readonly string ConversationSelect = $"SELECT {Sql.ConversationColumns} FROM {Sql.UserConversationsJoin} WHERE uc.app_id=@App AND uc.user_id=@User AND {Sql.MayRead}";

    private static readonly string LastVisibleMessage = $"""
        SELECT {MessageColumns} FROM messages m
        WHERE app_id=@App AND conv_type=@Type AND conv_key=@Key AND {Sql.VisibleTo("m", "@User", "@Cleared", "@MaxSeq")}
        ORDER BY seq DESC LIMIT 1
        """;

    private const string GroupType = "2"; // ConversationType.Group

    private static async Task<UserConversation> ToConversationAsync(SqliteConnection c, uint appId, string userId, ConversationRow r)
    {
        var last = await c.QuerySingleOrDefaultAsync<MessageRow>(LastVisibleMessage, new { App = appId, Type = r.ConvType, Key = r.ConvKey, Cleared = r.ClearedSeq, MaxSeq = r.MaxSeq, User = userId });
        return r.ToConversation(last?.ToStored());
    }

    // Every read runs here on its own pooled connection: SQLite's errors leave as the interface's ChatStoreException.
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        if (_queue.IsClosed) throw SqliteFailures.Closed(StoreName);
        try
        {
            await using var c = new SqliteConnection(_connectionString);
            await c.OpenAsync(cancellationToken);
            return await read(c);
        }
        catch (SqliteException ex)
        {
            throw SqliteFailures.Wrap(ex, "a chat store read");
        }
    }

    // ---- the writer -------------------------------------------------------------------------

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken, Action<object?>? afterCommit = null) =>
        (T)(await _queue.EnqueueAsync(new WriteOp((c, tx) => work(c, tx), afterCommit), cancellationToken))!;

    /// <summary>Stops taking writes, finishes the queued ones and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        _statements.Dispose();
        await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    private sealed class WriteOp(Func<SqliteConnection, SqliteTransaction, object?> work, Action<object?>? afterCommit)
    {
        public Func<SqliteConnection, SqliteTransaction, object?> Work { get; } = work;
        public Action<object?>? AfterCommit { get; } = afterCommit;
    }

    // Each write in its own savepoint; SQLite's errors leave as ChatStoreException, and a write's own bad arguments as they are.
    private sealed class ChatWriter(SqliteConnection connection) : SqliteGroupCommitDatabase<WriteOp, object?>(connection)
    {
        protected override object? Run(SqliteTransaction transaction, WriteOp operation) => operation.Work(Connection, transaction);

        public override Exception? OperationFailure(Exception error) => error switch
        {
            SqliteException sqlite => SqliteFailures.Wrap(sqlite, "a chat store write"),
            InvalidOperationException or ArgumentException or FormatException => error,
            _ => null,
        };

        public override Exception BatchFailure(Exception error) => error is SqliteException sqlite
            ? SqliteFailures.Wrap(sqlite, "a chat store commit")
            : new ChatStoreException(ChatStoreFailure.Unavailable, $"a chat store write failed: {error.Message}", error);

        public override void AfterCommit(WriteOp operation, object? result) => operation.AfterCommit?.Invoke(result);
    }

    private sealed class ConversationRow
    {
        public string UserId { get; set; } = "";
        public long ConvType { get; set; }
        public string ConvKey { get; set; } = "";
        public long ReadSeq { get; set; }
        public long ClearedSeq { get; set; }
        public long Muted { get; set; }
        public long Pinned { get; set; }
        public long MaxSeq { get; set; }

        public UserConversation ToConversation(StoredMessage? lastMessage) => new()
        {
            ConversationType = (ConversationType)ConvType, ConversationKey = ConvKey, MaxSeq = MaxSeq, ReadSeq = ReadSeq,
            ClearedSeq = ClearedSeq, Muted = Muted != 0, Pinned = Pinned != 0, LastMessage = lastMessage,
        };
    }

    private sealed class AccessRow
    {
        public string? GroupId { get; set; }
        public string? Name { get; set; }
        public string? Owner { get; set; }
        public long CreateTime { get; set; }
        public long Members { get; set; }
        public long IsMember { get; set; }
        public long? LeftSeq { get; set; }
        public long? Kicked { get; set; }
    }

    private sealed class GroupRow
    {
        public string GroupId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Owner { get; set; } = "";
        public long CreateTime { get; set; }
        public long Members { get; set; }
    }

    private sealed class MessageRow
    {
#pragma warning disable IDE1006 // column names
        public long message_id { get; set; }
        public long app_id { get; set; }
        public long conv_type { get; set; }
        public string conv_key { get; set; } = "";
        public long seq { get; set; }
        public string sender { get; set; } = "";
        public long local_id { get; set; }
        public long type { get; set; }
        public string? text { get; set; }
        public long sub_type { get; set; }
        public string? searched { get; set; }
        public string? extended { get; set; }
        public long has_receipt { get; set; }
        public long receipt_read { get; set; }
        public long priority { get; set; }
        public long ts { get; set; }
        public string? mentioned { get; set; }
#pragma warning restore IDE1006

        public StoredMessage ToStored() => new()
        {
            MessageId = message_id, AppId = (uint)app_id, ConversationType = (ConversationType)conv_type, ConversationKey = conv_key, Seq = seq,
            SenderUserId = sender, LocalMessageId = local_id, Type = (ChatMessageType)type, Text = text, SubType = (int)sub_type,
            SearchedContent = searched, ExtendedData = extended, HasReceipt = has_receipt != 0, ReceiptRead = receipt_read != 0,
            Priority = (int)priority, Timestamp = ts, MentionedUserIds = mentioned?.Split('\n'),
        };
    }
}
