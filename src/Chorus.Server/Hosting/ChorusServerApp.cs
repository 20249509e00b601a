using Chorus.Server.Auth;
using Chorus.Server.Chat;
using Chorus.Server.Core.Operations;
using Chorus.Storage;
using Chorus.Server.Gateway;
using Chorus.Server.Rooms;
using Chorus.Server.ServerApi;
using Chorus.Server.Web;
using Chorus.Server.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>Builds the Chorus server as an ASP.NET Core application.</summary>
public static class ChorusServerApp
{
    /// <summary>The path of the client WebSocket endpoint.</summary>
    public const string WebSocketPath = "/ws";

    /// <summary>
    /// Default log levels, below every other configuration source (appsettings.json, environment variables, the
    /// command line and <c>configure</c> all override them with the usual <c>Logging:LogLevel:...</c> keys):
    /// ASP.NET Core's per-request lines (which carry full URLs, so the server API's signed query strings) are off,
    /// its warnings and errors stay. Everything else, Chorus's own categories included, logs at the default minimum
    /// level, Information (<c>Logging:LogLevel:Default</c>, or <c>Logging:LogLevel:Chorus</c> for Chorus alone).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> DefaultLogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    /// <summary>
    /// Creates the application. Settings come from appsettings.json, environment variables (<c>Chorus__Apps__0__AppId</c>)
    /// and the command line, the ASP.NET Core way; <paramref name="configure"/> may add more before the build, and must
    /// register the stores (<see cref="IChatStore"/> and <see cref="ISignatureNonceStore"/>), e.g. with
    /// <c>services.AddSqliteStore()</c> from Chorus.Storage.Sqlite, which is what <c>chorus serve</c> does. A store opens
    /// its files in <see cref="IStorageLocation.DataDirectory"/> only after <see cref="IStorageLocation.Acquire"/> took the
    /// data directory's lock.
    /// </summary>
    /// <exception cref="InvalidOperationException">No store was registered.</exception>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLogLevels });
        builder.Services.AddChorusServer(builder.Configuration.GetSection(ChorusServerOptions.SectionName));
        configure?.Invoke(builder);
        foreach (var store in new[] { typeof(IChatStore), typeof(ISignatureNonceStore) })
            if (!builder.Services.Any(d => d.ServiceType == store))
                throw new InvalidOperationException($"no {store.Name} is registered: call services.AddSqliteStore() (Chorus.Storage.Sqlite), or register another store, in configure");

        var app = builder.Build();
        app.Lifetime.ApplicationStopping.Register(() => app.Services.GetRequiredService<WebSocketGateway>().CloseAll());
        app.Map(WebSocketPath, (HttpContext ctx, WebSocketGateway gateway) => gateway.HandleAsync(ctx));
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapMethods("/", ["GET", "POST"], (HttpContext ctx, ServerApiEndpoint api) => api.HandleAsync(ctx));
        // The demo (development app only) and the admin page (Chorus:AdminKey only): each answers 404 when it is off.
        app.Map("/demo", (HttpContext ctx, DemoEndpoint demo) => demo.HandleAsync(ctx, ""));
        app.Map("/demo/{**rest}", (HttpContext ctx, string? rest, DemoEndpoint demo) => demo.HandleAsync(ctx, rest));
        app.Map("/admin", (HttpContext ctx, AdminEndpoint admin) => admin.HandleAsync(ctx, ""));
        app.Map("/admin/{**rest}", (HttpContext ctx, string? rest, AdminEndpoint admin) => admin.HandleAsync(ctx, rest));
        return app;
    }

    /// <summary>Registers the Chorus services.</summary>
    public static IServiceCollection AddChorusServer(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section)
    {
        // One options class per area, every one bound from the same flat section (Chorus:MaxFrameBytes, Chorus:ChatSendsPerSecond...).
        services.AddValidatedOptions<ChorusServerOptions, ChorusServerOptionsValidator>(section);
        services.AddValidatedOptions<StorageOptions, StorageOptionsValidator>(section);
        services.AddValidatedOptions<GatewayOptions, GatewayOptionsValidator>(section);
        services.AddValidatedOptions<AuthOptions, AuthOptionsValidator>(section);
        services.AddValidatedOptions<RoomOptions, RoomOptionsValidator>(section);
        services.AddValidatedOptions<ChatOptions, ChatOptionsValidator>(section);
        services.AddValidatedOptions<WebhookOptions, WebhookOptionsValidator>(section);
        services.AddValidatedOptions<ServerApiOptions, ServerApiOptionsValidator>(section);
        services.AddValidatedOptions<ClusterOptions, ClusterOptionsValidator>(section);
        services.AddValidatedOptions<AdminOptions, AdminOptionsValidator>(section);
        // First: the data directory's lock is taken before anything in it is opened.
        services.AddSingleton<DataDirectoryLock>();
        services.AddHostedService<DataDirectoryLockService>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AppRegistry>();
        services.AddSingleton<IStorageLocation>(sp => sp.GetRequiredService<DataDirectoryLock>());
        services.AddSingleton<SignatureVerifier>();
        services.AddSingleton(sp => new NodeIdentity(sp.GetRequiredService<IOptions<ChorusServerOptions>>().Value.NodeId));
        services.AddSingleton<RoomRegistry>();
        services.AddSingleton<IRoomLifetimeManager, InProcessRoomLifetimeManager>();
        services.AddSingleton<IRoomEventsObserver, WebhookRoomEventsObserver>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<FloodGuard>();
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<RoomSignaling>();
        services.AddSingleton<GatewayCounters>();
        services.AddSingleton<WebSocketGateway>();
        services.AddSingleton<DemoEndpoint>();
        services.AddSingleton<AdminEndpoint>();
        services.AddSingleton<ServerApiEndpoint>();
        services.AddSingleton<ChatServerApi>();
        services.AddHostedService<MaintenanceService>();
        // Chat MessageIds carry the same node number as the other ids this node makes up.
        services.AddSingleton(sp => new MessageIdGenerator(sp.GetRequiredService<NodeIdentity>().Id, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ChatUserRegistry>();
        services.AddSingleton<ChatRoomRegistry>();
        // The defaults of the chat and server API seams, this node alone; a cluster (AddRedisChat) replaces them.
        services.TryAddSingleton<IChatPresence, InProcessChatPresence>();
        services.TryAddSingleton<IChatRoomDirectory, InProcessChatRoomDirectory>();
        services.TryAddSingleton<IServerApiRateLimiter, InProcessServerApiRateLimiter>();
        services.AddSingleton<ChatValidator>();
        services.AddSingleton<ChatRooms>();
        services.AddSingleton<ChatSessions>();
        services.AddSingleton<ChatFanout>();
        services.AddSingleton<ChatDelivery>();
        services.AddSingleton<ChatConversations>();
        services.AddSingleton<ChatMessages>();
        services.AddSingleton<ChatGroups>();
        services.AddSingleton<ChatService>();
        // The op table: each feature registers its ops; the gateway dispatches by it.
        services.AddSingleton<IOpModule, ConnectionOps>();
        services.AddSingleton<IOpModule, RoomOps>();
        services.AddSingleton<IOpModule, ChatSessionOps>();
        services.AddSingleton<IOpModule, ChatMessageOps>();
        services.AddSingleton<IOpModule, ChatConversationOps>();
        services.AddSingleton<IOpModule, ChatGroupOps>();
        services.AddSingleton<IOpModule, ChatRoomOps>();
        services.AddSingleton<OpRegistry>();
        // Told of every connection that ends, in this order: chat (its login), then rooms (leave events).
        services.AddSingleton<IConnectionObserver>(sp => sp.GetRequiredService<ChatService>());
        services.AddSingleton<IConnectionObserver>(sp => sp.GetRequiredService<RoomSignaling>());
        // Periodic work, in this order: rooms (online counts, tokens), chat (tokens, room grace), the gateway (stuck readers).
        services.AddSingleton<IPeriodicWork>(sp => sp.GetRequiredService<RoomSignaling>());
        services.AddSingleton<IPeriodicWork>(sp => sp.GetRequiredService<ChatService>());
        services.AddSingleton<IPeriodicWork>(sp => sp.GetRequiredService<WebSocketGateway>());
        services.AddSingleton<ILocalConnections>(sp => sp.GetRequiredService<WebSocketGateway>());
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }

    private static void AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>The addresses the started application listens on (e.g. <c>http://127.0.0.1:8080</c>).</summary>
    public static IReadOnlyList<string> GetListeningAddresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
