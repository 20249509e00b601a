using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Storage;

/// <summary>Registrations every chat store's own registration (such as <c>AddSqliteStore</c>) makes beside its <see cref="IChatStore"/>.</summary>
public static class ChatStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMessageStore"/>, <see cref="IConversationStore"/> and <see cref="IGroupStore"/>, each resolving to
    /// the registered <see cref="IChatStore"/> singleton (one instance, one writer, behind all of them). Call after
    /// registering the <see cref="IChatStore"/>. Disposing is the <see cref="IChatStore"/>'s (a store may be disposed more
    /// than once).
    /// </summary>
    public static IServiceCollection AddChatStoreConcerns(this IServiceCollection services)
    {
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<IChatStore>());
        services.AddSingleton<IConversationStore>(sp => sp.GetRequiredService<IChatStore>());
        services.AddSingleton<IGroupStore>(sp => sp.GetRequiredService<IChatStore>());
        return services;
    }
}
