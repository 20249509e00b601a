using Chorus.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Chorus.Bus.Redis;

/// <summary>Registers the Redis bus: nodes of one cluster share room presence and fan-out through one Redis.</summary>
public static class RedisBusServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="IConnectionMultiplexer"/> for <paramref name="configuration"/> (a StackExchange.Redis
    /// configuration string such as <c>127.0.0.1:6379</c>; it reconnects by itself), this node's <see cref="RedisNode"/>
    /// (which claims the node id in Redis: <see cref="NodeIdentity"/> comes from it) and the
    /// <see cref="RedisRoomLifetimeManager"/> in place of the in-process one, and chat and the server API's limits on
    /// Redis (<see cref="RedisChatServiceCollectionExtensions.AddRedisChat"/>). Call after <c>AddChorusServer</c>.
    /// </summary>
    public static IServiceCollection AddRedisBus(this IServiceCollection services, string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false; // connects in the background and reconnects by itself
        options.ClientName ??= "chorus";
        string endpoints = string.Join(",", options.EndPoints.Select(e => e is System.Net.DnsEndPoint d ? $"{d.Host}:{d.Port}" : e.ToString()));
        services.AddSingleton(new RedisBusInfo(endpoints));
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        services.AddSingleton(sp =>
        {
            var node = ActivatorUtilities.CreateInstance<RedisNode>(sp);
            // After a lapse the node's local view is stale: its clients reconnect and log in again (the connections are
            // looked up then, not now: the gateway depends on what depends on the node).
            node.CloseLocalConnections = () => sp.GetRequiredService<ILocalConnections>().CloseAll();
            return node;
        });
        services.AddHostedService(sp => sp.GetRequiredService<RedisNode>());
        services.RemoveAll<NodeIdentity>();
        services.AddSingleton(sp => sp.GetRequiredService<RedisNode>().Identity);
        services.RemoveAll<IRoomLifetimeManager>();
        services.AddSingleton<RedisRoomLifetimeManager>();
        services.AddSingleton<IRoomLifetimeManager>(sp => sp.GetRequiredService<RedisRoomLifetimeManager>());
        services.AddRedisChat(); // chat presence and the server API's limits on the same Redis
        return services;
    }
}
