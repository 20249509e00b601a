using Microsoft.Extensions.Hosting;

namespace Chorus.Server.Hosting;

/// <summary>
/// Runs every feature's periodic work (<see cref="IPeriodicWork"/>, in registration order) about twice a second: the
/// rooms' online counts and token checks, chat's token and chat-room checks, the gateway's stuck-consumer check.
/// </summary>
public sealed class MaintenanceService : BackgroundService
{
    private readonly IPeriodicWork[] _work;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    public MaintenanceService(IEnumerable<IPeriodicWork> work, TimeProvider time)
    {
        _work = [.. work];
        _time = time;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                foreach (var work in _work) await work.RunAsync(_time.GetUtcNow());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
