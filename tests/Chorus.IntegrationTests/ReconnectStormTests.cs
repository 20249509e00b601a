using System.Diagnostics;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.Gateway;
using Chorus.Server.Rooms;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.IntegrationTests;

public class ReconnectStormTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const int Clients = 2000, Rooms = 20;

    [Fact]
    public async Task Two_thousand_clients_dropped_at_once_are_back_in_their_rooms_with_exact_presence()
    {
        // Loopback clients share one address; the per-IP connection limit is for the open internet.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:ConnectionsPerIpPerSecond"] = "100000" });
        await using var proxy = new FaultProxy(server.Url);
        int reconnected = 0, failed = 0;
        var clients = new ChorusRoomClient[Clients];
        for (int i = 0; i < Clients; i += 100)
        {
            await Task.WhenAll(Enumerable.Range(i, 100).Select(async n =>
            {
                var c = server.NewClient(url: proxy.Url, tweak: o => o with { ReconnectMinDelay = TimeSpan.FromMilliseconds(200), ReconnectMaxDelay = TimeSpan.FromSeconds(2), RequestTimeout = TimeSpan.FromSeconds(20) });
                c.RoomStateChanged += (_, e) =>
                {
                    if (e.Reason == RoomStateReason.Reconnected) Interlocked.Increment(ref reconnected);
                    if (e.Reason == RoomStateReason.ReconnectFailed) Interlocked.Increment(ref failed);
                };
                var r = await c.LoginRoomAsync($"room{n % Rooms}", new RoomUser($"u{n}"), new RoomConfig { Token = server.Token($"u{n}"), IsUserStatusNotify = false }, Ct);
                Assert.Equal(0, r.ErrorCode);
                clients[n] = c;
            }));
        }
        await AssertPresenceAsync(server);

        var clock = Stopwatch.StartNew();
        proxy.DropAll();
        while (Volatile.Read(ref reconnected) + Volatile.Read(ref failed) < Clients && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50, Ct);
        var elapsed = clock.Elapsed;
        Assert.Equal((Clients, 0), (Volatile.Read(ref reconnected), Volatile.Read(ref failed)));
        // Exactly one live session per client: none of the 2,000 dropped sessions is left behind.
        await AssertPresenceAsync(server);
        var sessions = server.Services.GetRequiredService<SessionRegistry>();
        var rooms = server.Services.GetRequiredService<RoomRegistry>();
        var signaling = server.Services.GetRequiredService<RoomSignaling>();
        Assert.All(sessions.All, s => Assert.Single(signaling.RoomsOf(s)));
        Assert.Equal(Rooms, rooms.Count);
        TestContext.Current.TestOutputHelper?.WriteLine($"{Clients} clients back in {elapsed.TotalSeconds:F1} s");

        // Per-connection state returns to zero once the clients go: no session, room or member outlives its connection.
        await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (sessions.Count > 0 || rooms.Count > 0 || signaling.ConnectionCount > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"30 s after every client left: {sessions.Count} sessions, {rooms.Count} rooms, room state of {signaling.ConnectionCount} connections");
            await Task.Delay(50, Ct);
        }
        var counts = await server.CallAsync("DescribeUserNum", Enumerable.Range(0, 10).Select(r => ("RoomId[]", $"room{r}")).ToArray());
        Assert.All(counts.GetProperty("Data").GetProperty("UserCountList").EnumerateArray(), r => Assert.Equal(0, r.GetProperty("UserCount").GetInt32()));
    }

    private static async Task AssertPresenceAsync(TestServer server)
    {
        var rooms = Enumerable.Range(0, Rooms).Select(r => ("RoomId[]", $"room{r}")).ToArray();
        var counts = await server.CallAsync("DescribeUserNum", rooms[..10]);
        var counts2 = await server.CallAsync("DescribeUserNum", rooms[10..]);
        foreach (var list in new[] { counts, counts2 })
        {
            Assert.Equal(0, list.GetProperty("Code").GetInt32());
            foreach (var room in list.GetProperty("Data").GetProperty("UserCountList").EnumerateArray())
                Assert.Equal(Clients / Rooms, room.GetProperty("UserCount").GetInt32());
        }
        Assert.Equal(Clients, server.Services.GetRequiredService<SessionRegistry>().Count);
    }
}
