using Chorus.Protocol;
using Chorus.Server.Gateway;
using Chorus.Server.Chat;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Rooms;

/// <summary>
/// Periodic room and chat work (chat: see <see cref="ChatService.RunMaintenance"/>): the online user count every <see cref="ChorusServerOptions.OnlineCountInterval"/>,
/// token-will-expire warnings, and the removal of members whose token expired without renewal.
/// </summary>
public sealed class RoomMaintenanceService : BackgroundService
{
    private readonly RoomRegistry _rooms;
    private readonly RoomSignaling _signaling;
    private readonly ChorusServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ChatService _chat;
    private readonly Gateway.WebSocketGateway _gateway;

    /// <summary>Creates the service.</summary>
    public RoomMaintenanceService(RoomRegistry rooms, RoomSignaling signaling, ChatService chat, Gateway.WebSocketGateway gateway, IOptions<ChorusServerOptions> options, TimeProvider time)
    {
        _gateway = gateway;
        _chat = chat;
        _rooms = rooms;
        _signaling = signaling;
        _options = options.Value;
        _time = time;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
        var nextCount = _time.GetUtcNow() + _options.OnlineCountInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _time.GetUtcNow();
                CheckTokens(now);
                _chat.RunMaintenance();
                _gateway.DropStuckConsumers();
                if (now >= nextCount)
                {
                    nextCount = now + _options.OnlineCountInterval;
                    PublishOnlineCounts();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends every room's online user count to its members (one encoding per room).</summary>
    public void PublishOnlineCounts()
    {
        foreach (var room in _rooms.All)
        {
            var members = room.Members;
            if (members.Length == 0) continue;
            var bytes = EncodedFrame.From(new Frame { Op = Ops.OnlineCount, RoomId = room.RoomId, Count = members.Length });
            foreach (var m in members) m.Session.Queue.Enqueue(bytes, reliable: false);
        }
    }

    private void CheckTokens(DateTimeOffset now)
    {
        long nowSeconds = now.ToUnixTimeSeconds();
        long notice = (long)_options.TokenWillExpireNotice.TotalSeconds;
        foreach (var room in _rooms.All)
        {
            foreach (var m in room.Members)
            {
                long left = m.TokenExpiresAt - nowSeconds;
                if (left <= 0) _signaling.ExpireToken(m);
                else if (left <= notice && !m.TokenWarned)
                {
                    m.TokenWarned = true;
                    m.Session.Send(new Frame { Op = Ops.TokenWillExpire, RoomId = room.RoomId, SecondsLeft = (int)left });
                }
            }
        }
    }
}
