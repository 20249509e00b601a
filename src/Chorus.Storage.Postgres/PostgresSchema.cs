using Dapper;
using Npgsql;

namespace Chorus.Storage.Postgres;

/// <summary>
/// The tables of the PostgreSQL stores and the migrations that make them. Every node runs <see cref="MigrateAsync"/> when a
/// store opens: under a transaction-level advisory lock (<see cref="AdvisoryLockKey"/>), so that nodes starting at once
/// apply each migration exactly once, it creates the table <c>chorus_schema_migrations</c> if needed, applies every
/// migration not recorded there, each recorded with its version in the same transaction, and commits. A database whose
/// schema is newer than this Chorus knows is refused. Every table's name starts with <c>chorus_</c>; they live in the first
/// schema of the connection's search path.
/// </summary>
public static class PostgresSchema
{
    /// <summary>The advisory lock key migrations hold ("Chorus" in ASCII, then 1).</summary>
    public const long AdvisoryLockKey = 0x43686F7275730001;

    /// <summary>The newest schema version this Chorus applies.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>The migrations in order: version, what it does, its SQL. A published migration never changes; a change
    /// of the schema is a new migration.</summary>
    internal static readonly (int Version, string Description, string Sql)[] Migrations =
    [
        (1, "chat store and signature nonces", """
            CREATE TABLE chorus_conversations(
                app_id bigint NOT NULL, conv_type integer NOT NULL, conv_key text NOT NULL,
                max_seq bigint NOT NULL, last_time bigint NOT NULL,
                PRIMARY KEY(app_id, conv_type, conv_key));
            CREATE TABLE chorus_messages(
                message_id bigint PRIMARY KEY, app_id bigint NOT NULL, conv_type integer NOT NULL, conv_key text NOT NULL,
                seq bigint NOT NULL, sender text NOT NULL, local_id bigint NOT NULL, type integer NOT NULL, text bytea,
                sub_type integer NOT NULL, searched bytea, extended bytea, has_receipt boolean NOT NULL, receipt_read boolean NOT NULL,
                priority integer NOT NULL, ts bigint NOT NULL, mentioned text);
            CREATE UNIQUE INDEX chorus_messages_by_seq ON chorus_messages(app_id, conv_type, conv_key, seq);
            CREATE UNIQUE INDEX chorus_messages_by_local_id ON chorus_messages(app_id, sender, conv_type, conv_key, local_id) WHERE local_id <> 0;
            CREATE TABLE chorus_user_conversations(
                app_id bigint NOT NULL, user_id text NOT NULL, conv_type integer NOT NULL, conv_key text NOT NULL,
                read_seq bigint NOT NULL DEFAULT 0, cleared_seq bigint NOT NULL DEFAULT 0, hidden_seq bigint NOT NULL DEFAULT -1,
                muted boolean NOT NULL DEFAULT false, pinned boolean NOT NULL DEFAULT false,
                PRIMARY KEY(app_id, user_id, conv_type, conv_key));
            CREATE INDEX chorus_user_conversations_by_conversation ON chorus_user_conversations(app_id, conv_type, conv_key);
            CREATE TABLE chorus_deleted_messages(
                app_id bigint NOT NULL, user_id text NOT NULL, message_id bigint NOT NULL,
                PRIMARY KEY(app_id, user_id, message_id));
            CREATE TABLE chorus_groups(
                app_id bigint NOT NULL, group_id text NOT NULL, name bytea NOT NULL, owner text NOT NULL, create_time bigint NOT NULL,
                PRIMARY KEY(app_id, group_id));
            CREATE INDEX chorus_groups_by_owner ON chorus_groups(app_id, owner);
            CREATE TABLE chorus_group_members(
                app_id bigint NOT NULL, group_id text NOT NULL, user_id text NOT NULL, joined_at bigint NOT NULL, join_order bigint NOT NULL,
                PRIMARY KEY(app_id, group_id, user_id));
            CREATE TABLE chorus_group_leavers(
                app_id bigint NOT NULL, group_id text NOT NULL, user_id text NOT NULL, left_seq bigint NOT NULL, left_at bigint NOT NULL,
                kicked boolean NOT NULL DEFAULT false,
                PRIMARY KEY(app_id, group_id, user_id));
            CREATE TABLE chorus_dismissed_groups(
                app_id bigint NOT NULL, group_id text NOT NULL, dismissed_at bigint NOT NULL, owner text, create_time bigint,
                PRIMARY KEY(app_id, group_id));
            CREATE INDEX chorus_dismissed_groups_by_owner ON chorus_dismissed_groups(app_id, owner, create_time);
            CREATE TABLE chorus_signature_nonces(
                app_id bigint NOT NULL, nonce_digest bytea NOT NULL, expires_at bigint NOT NULL,
                PRIMARY KEY(app_id, nonce_digest));
            CREATE INDEX chorus_signature_nonces_by_expiry ON chorus_signature_nonces(expires_at);
            """),
    ];

    /// <summary>
    /// Brings the database to <see cref="LatestVersion"/> (see the class summary); safe to run from any number of nodes at
    /// once and again on every start. Needs the privilege to create tables only when a migration is to be applied.
    /// </summary>
    /// <exception cref="ChatStoreException">The database cannot be reached or refused a step
    /// (<see cref="ChatStoreFailure.Unavailable"/>), or its schema is newer than this Chorus (<see cref="ChatStoreFailure.Corrupt"/>).</exception>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var c = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            await c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@Key)", new { Key = AdvisoryLockKey }, tx, cancellationToken: cancellationToken));
            // Created only when missing: a node whose role may not create tables starts on a migrated database.
            if (await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT to_regclass('chorus_schema_migrations')::text", transaction: tx, cancellationToken: cancellationToken)) is null)
                await c.ExecuteAsync(new CommandDefinition(
                    "CREATE TABLE chorus_schema_migrations(version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                    transaction: tx, cancellationToken: cancellationToken));
            var applied = (await c.QueryAsync<int>(new CommandDefinition("SELECT version FROM chorus_schema_migrations", transaction: tx, cancellationToken: cancellationToken))).ToHashSet();
            if (applied.Count > 0 && applied.Max() > LatestVersion)
                throw new ChatStoreException(ChatStoreFailure.Corrupt,
                    $"the database's Chorus schema is version {applied.Max()}, newer than this Chorus knows ({LatestVersion}): run a newer Chorus");
            foreach (var (version, description, sql) in Migrations)
            {
                if (applied.Contains(version)) continue;
                await c.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: cancellationToken));
                await c.ExecuteAsync(new CommandDefinition("INSERT INTO chorus_schema_migrations(version, description) VALUES (@Version, @Description)",
                    new { Version = version, Description = description }, tx, cancellationToken: cancellationToken));
            }
            await tx.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (PostgresFailures.IsDatabaseError(ex))
        {
            throw PostgresFailures.Wrap(ex, "applying the schema migrations");
        }
    }

    /// <summary>The schema versions recorded in the database, in order (for tests and operators).</summary>
    public static async Task<IReadOnlyList<int>> AppliedVersionsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var c = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await c.QueryAsync<int>(new CommandDefinition("SELECT version FROM chorus_schema_migrations ORDER BY version", cancellationToken: cancellationToken))).ToList();
    }
}
