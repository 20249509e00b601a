using System.Diagnostics;
using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

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
        long before = Measure();

        var clock = Stopwatch.StartNew();
        proxy.DropAll();
        while (Volatile.Read(ref reconnected) + Volatile.Read(ref failed) < Clients && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50, Ct);
        var elapsed = clock.Elapsed;
        Assert.Equal((Clients, 0), (Volatile.Read(ref reconnected), Volatile.Read(ref failed)));
        await AssertPresenceAsync(server);
        long after = Measure();
        TestContext.Current.TestOutputHelper?.WriteLine($"{Clients} clients back in {elapsed.TotalSeconds:F1} s; managed heap (server and clients) {before / 1048576.0:F1} MB before the drop, {after / 1048576.0:F1} MB after");
        // the server's state returns to where it was: no leaked sessions, queues or room members
        Assert.True(after < before * 1.25 + 8 * 1048576, $"heap grew from {before} to {after} bytes");
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
        var sessions = (Chorus.Server.Gateway.SessionRegistry)server.Services.GetService(typeof(Chorus.Server.Gateway.SessionRegistry))!;
        Assert.Equal(Clients, sessions.Count);
    }

    private static long Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
