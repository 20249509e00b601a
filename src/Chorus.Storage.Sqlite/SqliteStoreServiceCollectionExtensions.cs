using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Storage.Sqlite;

/// <summary>Registers the embedded SQLite stores.</summary>
public static class SqliteStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SQLite chat store (<see cref="IChatStore"/>: the file <see cref="IStorageLocation.ChatDatabaseFileName"/>)
    /// and the SQLite signature nonce store (<see cref="ISignatureNonceStore"/>: <see cref="SqliteSignatureNonceStore.DefaultFileName"/>),
    /// both in <see cref="IStorageLocation.DataDirectory"/>, each opened when first needed, after
    /// <see cref="IStorageLocation.Acquire"/>. The host registers <see cref="IStorageLocation"/>, <see cref="MessageIdGenerator"/>
    /// and <see cref="TimeProvider"/> (the Chorus server does all three). The chat store's concerns
    /// (<see cref="IMessageStore"/>, <see cref="IConversationStore"/>, <see cref="IGroupStore"/>) are registered too, each
    /// resolving to the same <see cref="IChatStore"/> instance.
    /// </summary>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services)
    {
        services.AddSingleton<ISignatureNonceStore>(sp =>
        {
            var location = sp.GetRequiredService<IStorageLocation>();
            location.Acquire();
            return new SqliteSignatureNonceStore(Path.Combine(location.DataDirectory, SqliteSignatureNonceStore.DefaultFileName), sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IChatStore>(sp =>
        {
            var location = sp.GetRequiredService<IStorageLocation>();
            location.Acquire();
            return new SqliteChatStore(Path.Combine(location.DataDirectory, location.ChatDatabaseFileName), sp.GetRequiredService<MessageIdGenerator>(),
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddChatStoreConcerns();
        return services;
    }
}
