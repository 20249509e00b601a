using Chorus.Protocol;
using Chorus.Storage.Postgres;
using Chorus.Storage.Sqlite;

namespace Chorus.Storage.Tests;

/// <summary>Makes the store a test runs against, and reopens it (a restart) on the same data.</summary>
public interface IChatStoreFactory
{
    /// <summary>A new, empty store.</summary>
    Task<IChatStore> CreateAsync();

    /// <summary>Closes <paramref name="store"/> and opens the same data again.</summary>
    Task<IChatStore> ReopenAsync(IChatStore store);

    /// <summary>Removes what <see cref="CreateAsync"/> made (after the store was closed).</summary>
    void Cleanup();
}

/// <summary>SQLite stores in a temporary file.</summary>
public sealed class SqliteStores : IChatStoreFactory
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"chorus-store-{Guid.NewGuid():N}.db");

    public Task<IChatStore> CreateAsync() => Task.FromResult<IChatStore>(new SqliteChatStore(Path));

    public async Task<IChatStore> ReopenAsync(IChatStore store)
    {
        await store.DisposeAsync();
        return new SqliteChatStore(Path);
    }

    public void Cleanup()
    {
        foreach (var f in new[] { Path, Path + "-wal", Path + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }
}

/// <summary>PostgreSQL stores, each test on a fresh database of the test run's server.</summary>
public sealed class PostgresStores : IChatStoreFactory
{
    public string ConnectionString { get; private set; } = "";

    public async Task<IChatStore> CreateAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync();
        return await PostgresChatStore.OpenAsync(ConnectionString);
    }

    public async Task<IChatStore> ReopenAsync(IChatStore store)
    {
        await store.DisposeAsync();
        return await PostgresChatStore.OpenAsync(ConnectionString);
    }

    public void Cleanup()
    {
    }
}

/// <summary>A test class with one store (<see cref="Store"/>) made by <typeparamref name="TStores"/>, closed after each test.</summary>
public abstract class ChatStoreTestBase<TStores> : IAsyncLifetime where TStores : IChatStoreFactory, new()
{
    protected TStores Stores { get; } = new();

    protected IChatStore Store { get; set; } = null!;

    /// <summary>Closes and reopens the same store (a restart).</summary>
    protected Task<IChatStore> ReopenAsync(IChatStore store) => Stores.ReopenAsync(store);

    public async ValueTask InitializeAsync() => Store = await Stores.CreateAsync();

    public virtual async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Stores.Cleanup();
    }
}

/// <summary>What the conformance suite's parts share: the app they write to and the messages they send.</summary>
public abstract class ConformanceTestBase<TStores> : ChatStoreTestBase<TStores> where TStores : IChatStoreFactory, new()
{
    protected const uint App = 7;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static NewMessage Peer(string from, string to, string text, long localId = 0) => new()
    {
        AppId = App, ConversationType = ConversationType.Peer, ConversationKey = ConversationKeys.Peer(from, to), SenderUserId = from,
        LocalMessageId = localId, Type = ChatMessageType.Text, Text = text, EnsureConversationFor = [from, to],
    };

    protected static NewMessage GroupText(string group, string from, string text, long localId = 0) => new()
    {
        AppId = App, ConversationType = ConversationType.Group, ConversationKey = group, SenderUserId = from, LocalMessageId = localId,
        Type = ChatMessageType.Text, Text = text,
    };
}

// The conformance suite's parts, each against both databases.
public sealed class SqliteMessageStoreTests : MessageStoreConformanceTests<SqliteStores>;
public sealed class SqliteConversationStoreTests : ConversationStoreConformanceTests<SqliteStores>;
public sealed class SqliteGroupStoreTests : GroupStoreConformanceTests<SqliteStores>;
public sealed class PostgresMessageStoreTests : MessageStoreConformanceTests<PostgresStores>;
public sealed class PostgresConversationStoreTests : ConversationStoreConformanceTests<PostgresStores>;
public sealed class PostgresGroupStoreTests : GroupStoreConformanceTests<PostgresStores>;
