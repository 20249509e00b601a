namespace Chorus.Storage.Sql;

/// <summary>
/// What differs between the SQL databases a chat store runs on, for <see cref="ChatSql"/>: the tables' names (the columns
/// are the same in every store) and the few functions and literals spelled differently.
/// </summary>
public sealed record ChatSqlDialect
{
    /// <summary>Conversations: (app_id, conv_type, conv_key) → max_seq, last_time.</summary>
    public required string Conversations { get; init; }

    /// <summary>Messages.</summary>
    public required string Messages { get; init; }

    /// <summary>Each user's view of a conversation (read_seq, cleared_seq, hidden_seq, muted, pinned).</summary>
    public required string UserConversations { get; init; }

    /// <summary>Messages deleted from one user's view.</summary>
    public required string DeletedMessages { get; init; }

    /// <summary>Group members.</summary>
    public required string GroupMembers { get; init; }

    /// <summary>Former group members and their leave points.</summary>
    public required string GroupLeavers { get; init; }

    /// <summary>The smaller of two values (SQLite's two-argument <c>MIN</c>, PostgreSQL's <c>LEAST</c>).</summary>
    public required string Least { get; init; }

    /// <summary>The greater of two values (SQLite's two-argument <c>MAX</c>, PostgreSQL's <c>GREATEST</c>).</summary>
    public required string Greatest { get; init; }

    /// <summary>The literal a false flag column holds (SQLite <c>0</c>, PostgreSQL <c>false</c>).</summary>
    public required string False { get; init; }

    /// <summary>An expression read as a 64-bit integer (PostgreSQL's sums are numeric); the expression itself by default.</summary>
    public Func<string, string> AsBigint { get; init; } = expression => expression;
}

/// <summary>
/// The chat stores' shared rules, written once as SQL for every dialect (<see cref="ChatSqlDialect"/>): which conversation
/// entries a user sees (peer ones always; group ones as a member, or as a former member up to the leave point), the highest
/// sequence number the user sees, unread counts and totals, which messages of a conversation a user sees, a history page's
/// bounds, and the retried-send check. The conformance suite runs every store on them.
/// </summary>
public sealed class ChatSql
{
    private const string GroupType = "2"; // ConversationType.Group, as the conv_type columns hold it

    /// <summary>Builds the fragments for <paramref name="dialect"/>.</summary>
    public ChatSql(ChatSqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        var d = dialect;
        UserConversationsJoin = $"""
            {d.UserConversations} uc LEFT JOIN {d.Conversations} c ON c.app_id=uc.app_id AND c.conv_type=uc.conv_type AND c.conv_key=uc.conv_key
            LEFT JOIN {d.GroupMembers} gm ON uc.conv_type={GroupType} AND gm.app_id=uc.app_id AND gm.group_id=uc.conv_key AND gm.user_id=uc.user_id
            LEFT JOIN {d.GroupLeavers} gl ON uc.conv_type={GroupType} AND gl.app_id=uc.app_id AND gl.group_id=uc.conv_key AND gl.user_id=uc.user_id
            """;
        VisibleMaxSeq = $"(CASE WHEN gl.user_id IS NULL OR gm.user_id IS NOT NULL THEN COALESCE(c.max_seq, 0) ELSE {d.Least}(COALESCE(c.max_seq, 0), gl.left_seq) END)";
        ConversationColumns = $"""
            uc.user_id AS UserId, uc.conv_type AS ConvType, uc.conv_key AS ConvKey, uc.read_seq AS ReadSeq, uc.cleared_seq AS ClearedSeq,
            uc.muted AS Muted, uc.pinned AS Pinned, {VisibleMaxSeq} AS MaxSeq
            """;
        UnreadSum = d.AsBigint($"COALESCE(SUM({d.Greatest}(0, {VisibleMaxSeq} - {d.Greatest}(uc.read_seq, uc.cleared_seq))), 0)");
        CountsAsUnread = $"uc.muted = {d.False} AND {MayRead} AND {VisibleMaxSeq} > uc.hidden_seq";
        Listed = $"{VisibleMaxSeq} > uc.hidden_seq";
        HistoryBounds = $"""
            SELECT COALESCE((SELECT cleared_seq FROM {d.UserConversations} WHERE app_id=@App AND user_id=@User AND conv_type=@Type AND conv_key=@Key), 0),
                   CASE WHEN @Type <> {GroupType} THEN {long.MaxValue}
                        WHEN EXISTS (SELECT 1 FROM {d.GroupMembers} WHERE app_id=@App AND group_id=@Key AND user_id=@User) THEN {long.MaxValue}
                        ELSE COALESCE((SELECT left_seq FROM {d.GroupLeavers} WHERE app_id=@App AND group_id=@Key AND user_id=@User), 0) END
            """;
        _deletedMessages = d.DeletedMessages;
    }

    private readonly string _deletedMessages;

    /// <summary>A user's view of conversations (<c>uc</c>) joined with the conversations themselves (<c>c</c>) and, for groups,
    /// the user's membership (<c>gm</c>) or leave point (<c>gl</c>); all joins are primary-key lookups.</summary>
    public string UserConversationsJoin { get; }

    /// <summary>Who may see a conversation entry of <see cref="UserConversationsJoin"/>: anyone their peer ones; members and
    /// former members their group ones.</summary>
    public string MayRead { get; } = $"(uc.conv_type <> {GroupType} OR gm.user_id IS NOT NULL OR gl.user_id IS NOT NULL)";

    /// <summary>The conversation's highest sequence number as the user sees it: a former member's view ends at the leave point.</summary>
    public string VisibleMaxSeq { get; }

    /// <summary>The columns of one user's view of a conversation (UserId, ConvType, ConvKey, ReadSeq, ClearedSeq, Muted, Pinned,
    /// MaxSeq), over <see cref="UserConversationsJoin"/>.</summary>
    public string ConversationColumns { get; }

    /// <summary>The unread total over the rows of <see cref="UserConversationsJoin"/> that count (<see cref="CountsAsUnread"/>),
    /// 0 when none does; group by <c>uc.user_id</c> for several users. Each conversation's unread count is
    /// <c>max(0, visible max seq − max(read, cleared))</c>, as <see cref="UserConversation.Unread"/> computes it.</summary>
    public string UnreadSum { get; }

    /// <summary>Which conversations count toward the unread total: unmuted, visible to the user, and not hidden since.</summary>
    public string CountsAsUnread { get; }

    /// <summary>Which visible conversations are listed: those not hidden since their last visible message.</summary>
    public string Listed { get; }

    /// <summary>One row: what the user cleared (deleted up to) and the last sequence number the user may see of the
    /// conversation (all of it for peers and members, up to the leave point for former members, nothing for anyone else);
    /// parameters @App, @User, @Type, @Key.</summary>
    public string HistoryBounds { get; }

    /// <summary>Messages of alias <paramref name="m"/> that user <paramref name="user"/> sees: after what the user cleared, up
    /// to the last sequence number the user may see, and not deleted from the user's view (arguments are SQL expressions).</summary>
    public string VisibleTo(string m, string user, string cleared, string upTo) =>
        $"{m}.seq > {cleared} AND {m}.seq <= {upTo} AND NOT EXISTS (SELECT 1 FROM {_deletedMessages} d WHERE d.app_id = {m}.app_id AND d.user_id = {user} AND d.message_id = {m}.message_id)";

    /// <summary>
    /// The retried-send check: message alias <paramref name="m"/> is the earlier send of (app, sender, conversation type,
    /// conversation key, LocalMessageId), given as SQL expressions. LocalMessageId 0 means no deduplication, and
    /// <c>local_id &lt;&gt; 0</c> also lets the database use the partial unique index on that key.
    /// </summary>
    public static string SameRetryKey(string m, string app, string sender, string type, string key, string localId) =>
        $"{m}.app_id = {app} AND {m}.sender = {sender} AND {m}.conv_type = {type} AND {m}.conv_key = {key} AND {m}.local_id = {localId} AND {m}.local_id <> 0";

    /// <summary>Whether a message with <paramref name="localMessageId"/> is checked for an earlier send at all.</summary>
    public static bool IsDeduplicated(long localMessageId) => localMessageId != 0;
}
