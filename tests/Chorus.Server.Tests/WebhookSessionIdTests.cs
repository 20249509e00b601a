using Chorus.Server.Rooms;
using Chorus.Server.Webhooks;

namespace Chorus.Server.Tests;

public sealed class WebhookSessionIdTests
{
    [Fact]
    public void Logins_of_two_nodes_with_the_same_connection_number_get_different_session_ids()
    {
        var onNode1 = new RoomMemberInfo("u", "u", NodeId: 1, ConnectionId: 7, LoginTimeMs: 0);
        var onNode2 = onNode1 with { NodeId = 2 };
        Assert.NotEqual(WebhookRoomEventsObserver.SessionId(onNode1), WebhookRoomEventsObserver.SessionId(onNode2));
        Assert.Equal(((1L << 40) + 7).ToString(), WebhookRoomEventsObserver.SessionId(onNode1));
        Assert.Equal("7", WebhookRoomEventsObserver.SessionId(onNode1 with { NodeId = 0 }));
        // the largest node id and a large connection number stay positive and distinct
        var last = new RoomMemberInfo("u", "u", NodeId: 1023, ConnectionId: (1L << 40) - 1, LoginTimeMs: 0);
        Assert.True(long.Parse(WebhookRoomEventsObserver.SessionId(last)) > 0);
        Assert.NotEqual(WebhookRoomEventsObserver.SessionId(last), WebhookRoomEventsObserver.SessionId(last with { NodeId = 1022 }));
    }
}
