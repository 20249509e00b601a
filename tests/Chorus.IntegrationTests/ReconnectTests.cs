using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;

namespace Chorus.IntegrationTests;

public class ReconnectTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_reconnects_after_a_dropped_connection_and_is_back_in_its_room()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new FaultProxy(server.Url);
        var client = server.NewClient(url: proxy.Url, tweak: o => o with { ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) });
        var states = new EventSink<RoomStateChanged>();
        client.RoomStateChanged += states.Handler;
        Assert.Equal(0, (await client.LoginRoomAsync("r1", new RoomUser("mobile"), new RoomConfig { Token = server.Token("mobile") }, Ct)).ErrorCode);
        await states.NextAsync(s => s.Reason == RoomStateReason.Logined);
        var peer = await server.LoggedInAsync("r1", "desk");
        var received = new EventSink<CustomCommandReceived>();
        client.CustomCommandReceived += received.Handler;

        proxy.Refuse = true;
        proxy.DropAll();
        Assert.Equal(RoomStateReason.Reconnecting, (await states.NextAsync()).Reason);
        await Task.Delay(300, Ct); // a few refused attempts
        proxy.Refuse = false;
        var back = await states.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((RoomStateReason.Reconnected, 0), (back.Reason, back.ErrorCode));

        Assert.Equal(0, (await peer.SendCustomCommandAsync("r1", "after", null, Ct)).ErrorCode);
        Assert.Equal("after", (await received.NextAsync()).Command);
        var num = await server.CallAsync("DescribeUserNum", ("RoomId[]", "r1"));
        Assert.Equal(2, num.GetProperty("Data").GetProperty("UserCountList")[0].GetProperty("UserCount").GetInt32());
        Assert.Equal(0, (await client.SendBroadcastMessageAsync("r1", "I'm back", Ct)).ErrorCode);
    }

    [Fact]
    public async Task Client_gives_up_with_ReconnectFailed_after_the_configured_time()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new FaultProxy(server.Url);
        var client = server.NewClient(url: proxy.Url, tweak: o => o with
        {
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            ReconnectGiveUpAfter = TimeSpan.FromSeconds(1),
        });
        var states = new EventSink<RoomStateChanged>();
        client.RoomStateChanged += states.Handler;
        Assert.Equal(0, (await client.LoginRoomAsync("r1", new RoomUser("u"), new RoomConfig { Token = server.Token("u") }, Ct)).ErrorCode);
        proxy.Refuse = true;
        proxy.DropAll();
        var failed = await states.NextAsync(s => s.Reason == RoomStateReason.ReconnectFailed, TimeSpan.FromSeconds(10));
        Assert.Equal("r1", failed.RoomId);
        Assert.Empty(client.Rooms);
        Assert.Equal(RoomErrorCodes.NotLoggedIn, (await client.SendCustomCommandAsync("r1", "x", null, Ct)).ErrorCode);
    }
}
