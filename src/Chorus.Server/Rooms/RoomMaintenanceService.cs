using Chorus.Server.Chat;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Hosting;

namespace Chorus.Server.Rooms;

/// <summary>
/// Periodic room and chat work (chat: see <see cref="ChatService.RunMaintenance"/>): the online user count every <see cref="RoomOptions.OnlineCountInterval"/>,
/// token-will-expire warnings, and the removal of members whose token expired without renewal.
/// </summary>
public sealed class RoomMaintenanceService : BackgroundService
{
    private readonly RoomSignaling _signaling;
    private readonly TimeProvider _time;
    private readonly ChatService _chat;
    private readonly Gateway.WebSocketGateway _gateway;

    /// <summary>Creates the service.</summary>
    public RoomMaintenanceService(RoomSignaling signaling, ChatService chat, Gateway.WebSocketGateway gateway, TimeProvider time)
    {
        _gateway = gateway;
        _chat = chat;
        _signaling = signaling;
        _time = time;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await _signaling.RunMaintenance(_time.GetUtcNow());
                _chat.RunMaintenance();
                _gateway.DropStuckConsumers();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
