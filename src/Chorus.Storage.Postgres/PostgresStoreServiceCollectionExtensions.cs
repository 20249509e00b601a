using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Chorus.Storage.Postgres;

/// <summary>Registers the PostgreSQL stores.</summary>
public static class PostgresStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the PostgreSQL chat store (<see cref="IChatStore"/>) and signature nonce store (<see cref="ISignatureNonceStore"/>)
    /// on <paramref name="connectionString"/>, so that chat and the server API's replay window are shared by every node given
    /// the same database. Both are opened when the host starts (a hosted service), which applies the schema migrations: a
    /// database that cannot be reached fails the start with a <see cref="ChatStoreException"/> rather than the first chat
    /// request. The host registers <see cref="MessageIdGenerator"/> (carrying the node's id) and <see cref="TimeProvider"/>
    /// (the Chorus server does both). The chat store's concerns (<see cref="IMessageStore"/>, <see cref="IConversationStore"/>,
    /// <see cref="IGroupStore"/>) are registered too, each resolving to the same <see cref="IChatStore"/> instance.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=127.0.0.1;Database=chorus;Username=chorus;Password=...</c>.</param>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton<ISignatureNonceStore>(sp =>
            PostgresSignatureNonceStore.OpenAsync(connectionString, sp.GetRequiredService<TimeProvider>()).GetAwaiter().GetResult());
        services.AddSingleton<IChatStore>(sp =>
            PostgresChatStore.OpenAsync(connectionString, sp.GetRequiredService<MessageIdGenerator>(), sp.GetRequiredService<TimeProvider>()).GetAwaiter().GetResult());
        services.AddChatStoreConcerns();
        services.AddHostedService<PostgresStoreOpener>();
        return services;
    }

    // Opens both stores at start, so that a database problem stops the start.
    private sealed class PostgresStoreOpener(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<IChatStore>();
            services.GetRequiredService<ISignatureNonceStore>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
