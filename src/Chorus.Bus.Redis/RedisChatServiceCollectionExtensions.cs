using Chorus.Server.Chat;
using Chorus.Server.ServerApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chorus.Bus.Redis;

/// <summary>Registers chat and the server API's limits on Redis.</summary>
public static class RedisChatServiceCollectionExtensions
{
    /// <summary>
    /// Chat across nodes (<see cref="RedisChat"/> as <see cref="IChatPresence"/> and <see cref="IChatRoomDirectory"/>),
    /// the server API's rate limits for the cluster (<see cref="RedisServerApiRateLimiter"/>), and the cluster sweep
    /// every 2 s. Needs the <c>IConnectionMultiplexer</c> that <c>AddRedisBus</c> registers (and each node's liveness key
    /// <c>chorus:node:{id}</c>, which its <c>RedisNode</c> keeps); replaces the in-process defaults whichever is called first.
    /// </summary>
    public static IServiceCollection AddRedisChat(this IServiceCollection services)
    {
        services.TryAddSingleton<RedisChat>();
        services.RemoveAll<IChatPresence>();
        services.RemoveAll<IChatRoomDirectory>();
        services.RemoveAll<IServerApiRateLimiter>();
        services.AddSingleton<IChatPresence>(sp => sp.GetRequiredService<RedisChat>());
        services.AddSingleton<IChatRoomDirectory>(sp => sp.GetRequiredService<RedisChat>());
        services.AddSingleton<IServerApiRateLimiter, RedisServerApiRateLimiter>();
        services.AddHostedService<RedisChatMaintenance>();
        return services;
    }
}

/// <summary>Starts <see cref="RedisChat"/> with the node and runs the cluster sweep every 2 s (<see cref="RedisChat.SweepAsync"/>).</summary>
public sealed partial class RedisChatMaintenance(RedisChat chat, TimeProvider time, ILogger<RedisChatMaintenance> logger) : BackgroundService
{
    /// <summary>How often every node runs the sweep.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await chat.StartAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await chat.SweepAsync(); }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException) { LogSweepFailed(logger, ex.Message); }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(7105, LogLevel.Warning, "Chat on Redis: the cluster sweep failed this round (it runs again in 2 s): {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
