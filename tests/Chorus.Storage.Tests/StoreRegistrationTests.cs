using Chorus.Storage.Postgres;
using Chorus.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Storage.Tests;

/// <summary>The stores' registrations: each concern of the chat store resolves to the one <see cref="IChatStore"/> instance.</summary>
public sealed class StoreRegistrationTests
{
    [Fact]
    public async Task AddSqliteStore_registers_each_concern_as_the_one_chat_store()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"chorus-registration-{Guid.NewGuid():N}");
        var services = new ServiceCollection()
            .AddSingleton<IStorageLocation>(new TestLocation(directory)).AddSingleton(new MessageIdGenerator()).AddSingleton(TimeProvider.System)
            .AddSqliteStore();
        await using (var provider = new SingletonProvider(services))
        {
            var store = provider.GetRequiredService<IChatStore>();
            Assert.IsType<SqliteChatStore>(store);
            Assert.Same(store, provider.GetRequiredService<IMessageStore>());
            Assert.Same(store, provider.GetRequiredService<IConversationStore>());
            Assert.Same(store, provider.GetRequiredService<IGroupStore>());
        }
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task AddPostgresStore_registers_each_concern_as_the_one_chat_store()
    {
        string database = await TestDatabase.CreateAsync();
        var services = new ServiceCollection().AddSingleton(new MessageIdGenerator()).AddSingleton(TimeProvider.System).AddPostgresStore(database);
        await using var provider = new SingletonProvider(services);
        var store = provider.GetRequiredService<IChatStore>();
        Assert.IsType<PostgresChatStore>(store);
        Assert.Same(store, provider.GetRequiredService<IMessageStore>());
        Assert.Same(store, provider.GetRequiredService<IConversationStore>());
        Assert.Same(store, provider.GetRequiredService<IGroupStore>());
    }

    private sealed class TestLocation(string directory) : IStorageLocation
    {
        public string DataDirectory => directory;
        public string ChatDatabaseFileName => "chat.db";
        public void Acquire() => Directory.CreateDirectory(directory);
    }

    // Just enough of a container for singleton registrations (the test project has no DI container package):
    // each service made once, from its last registration, and disposed at the end.
    private sealed class SingletonProvider(IServiceCollection services) : IServiceProvider, IAsyncDisposable
    {
        private readonly Dictionary<Type, object> _made = [];

        public object? GetService(Type serviceType)
        {
            if (_made.TryGetValue(serviceType, out var made)) return made;
            var descriptor = services.LastOrDefault(d => d.ServiceType == serviceType && d.Lifetime == ServiceLifetime.Singleton);
            if (descriptor is null) return null;
            made = descriptor.ImplementationInstance ?? descriptor.ImplementationFactory?.Invoke(this)
                ?? throw new NotSupportedException($"{serviceType.Name} is registered by type");
            return _made[serviceType] = made;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var disposable in _made.Values.OfType<IAsyncDisposable>().Distinct()) await disposable.DisposeAsync();
        }
    }
}
