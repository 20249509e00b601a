using Chorus.Protocol;
using Chorus.Server.Chat;

namespace Chorus.Server.Tests.Chat;

/// <summary>Chat rooms without sockets: the grace period of a member whose connection went, on a fake clock.</summary>
public sealed class ChatRoomTests
{
    private static Frame Members(string roomId) => new() { Op = Ops.QueryRoomMembers, ConvId = roomId };

    [Fact]
    public async Task A_member_whose_connection_closed_stays_for_the_grace_period_then_is_removed()
    {
        await using var chat = new ChatCore(o => o.ChatRoomMemberGracePeriod = TimeSpan.FromSeconds(30));
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        foreach (var c in new[] { alice, bob })
            Assert.Equal(0, (await chat.CallAsync(c, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);

        chat.Service.OnSessionClosed(bob);
        chat.Time.Advance(TimeSpan.FromSeconds(29));
        chat.Service.RunMaintenance();
        Assert.Equal(["alice", "bob"], (await chat.CallAsync(alice, Members("lobby"))).Members!);

        chat.Time.Advance(TimeSpan.FromSeconds(1));
        chat.Service.RunMaintenance();
        Assert.Equal(["alice"], (await chat.CallAsync(alice, Members("lobby"))).Members!);
    }

    [Fact]
    public async Task A_member_back_within_the_grace_period_keeps_its_place_and_gets_messages_again()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        foreach (var c in new[] { alice, bob })
            Assert.Equal(0, (await chat.CallAsync(c, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);

        chat.Service.OnSessionClosed(bob);
        var again = await chat.LoginAsync("bob");
        Assert.Equal(0, (await chat.CallAsync(again, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);
        chat.Time.Advance(chat.Options.ChatRoomMemberGracePeriod);
        chat.Service.RunMaintenance();

        var text = new WireChatMessage { Type = ChatMessageType.Text, Text = "still there?" };
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Room, ConvId = "lobby", Message = text })).ErrorCode);
        Assert.Single(again.Of(Ops.ChatMessage));
        Assert.Empty(bob.Of(Ops.ChatMessage));
    }

    [Fact]
    public async Task A_room_entry_by_a_login_that_ended_meanwhile_is_refused_and_leaves_no_member()
    {
        await using var chat = new ChatCore();
        var first = await chat.LoginAsync("bob");
        var oldLogin = chat.Sessions.Find(first)!;
        var second = await chat.LoginAsync("bob"); // takes over: the first login has ended
        // the room entry of the first connection was let in before the takeover, and runs after it
        var late = await chat.Rooms.EnterAsync<EnterRoomResult>(oldLogin, "bob", new EnterRoomRequest { ConvId = "lobby", Rid = 9 }, ChatRoomEntry.Enter, "lobby", null);
        Assert.Equal(ChatErrorCodes.NotLoggedIn, late.ErrorCode);
        Assert.Equal(ChatErrorCodes.RoomMissing, (await chat.CallAsync(second, Members("lobby"))).ErrorCode);
    }

    [Fact]
    public async Task A_member_left_behind_by_an_ended_login_gets_the_grace_period_and_is_removed()
    {
        await using var chat = new ChatCore(o => o.ChatRoomMemberGracePeriod = TimeSpan.FromSeconds(30));
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        foreach (var c in new[] { alice, bob })
            Assert.Equal(0, (await chat.CallAsync(c, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);
        // bob's login ends without its room memberships being handed on (a takeover racing a close or an expiry)
        chat.Sessions.Find(bob)!.UserId = null;

        chat.Service.RunMaintenance();                       // the sweep sees the ended login: grace starts now
        chat.Time.Advance(TimeSpan.FromSeconds(29));
        chat.Service.RunMaintenance();
        Assert.Equal(["alice", "bob"], (await chat.CallAsync(alice, Members("lobby"))).Members!);
        chat.Time.Advance(TimeSpan.FromSeconds(1));
        chat.Service.RunMaintenance();
        Assert.Equal(["alice"], (await chat.CallAsync(alice, Members("lobby"))).Members!);
    }

    [Fact]
    public async Task The_last_member_leaving_closes_the_room()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r1" })).ErrorCode);
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.LeaveRoom, ConvId = "r1" })).ErrorCode);
        Assert.Equal(ChatErrorCodes.JoinRoomMissing, (await chat.CallAsync(alice, new Frame { Op = Ops.JoinRoom, ConvId = "r1" })).ErrorCode);
    }

    [Fact]
    public async Task Room_name_at_64_bytes_passes_and_65_is_refused()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r1", Name = new string('n', 64) })).ErrorCode);
        var over = await chat.CallAsync(alice, new Frame { Op = Ops.CreateRoom, ConvId = "r2", Name = new string('n', 65) });
        Assert.Equal((ChatErrorCodes.BadParameter, "room name is longer than 64 bytes"), (over.ErrorCode, over.Error));
    }

    [Fact]
    public async Task A_second_login_takes_over_the_room_memberships_and_the_kicked_connection_gets_no_more_room_messages()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        foreach (var c in new[] { alice, bob })
            Assert.Equal(0, (await chat.CallAsync(c, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);

        var bobAgain = await chat.LoginAsync("bob");
        chat.Service.OnSessionClosed(bob); // the kicked connection going takes bob out of no room
        chat.Time.Advance(chat.Options.ChatRoomMemberGracePeriod);
        chat.Service.RunMaintenance();
        Assert.Equal(["alice", "bob"], (await chat.CallAsync(bobAgain, Members("lobby"))).Members!);

        var text = new WireChatMessage { Type = ChatMessageType.Text, Text = "who is here?" };
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Room, ConvId = "lobby", Message = text })).ErrorCode);
        Assert.Single(bobAgain.Of(Ops.ChatMessage));
        Assert.Empty(bob.Of(Ops.ChatMessage));
    }

    [Fact]
    public async Task A_logged_out_member_gets_no_room_messages_during_its_grace_period()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");
        foreach (var c in new[] { alice, bob })
            Assert.Equal(0, (await chat.CallAsync(c, new Frame { Op = Ops.EnterRoom, ConvId = "lobby" })).ErrorCode);
        Assert.Equal(0, (await chat.CallAsync(bob, new Frame { Op = Ops.ChatLogout })).ErrorCode);

        var text = new WireChatMessage { Type = ChatMessageType.Text, Text = "anyone?" };
        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.SendMessage, ConvType = ConversationType.Room, ConvId = "lobby", Message = text })).ErrorCode);
        Assert.Empty(bob.Of(Ops.ChatMessage));
        Assert.Equal(["alice", "bob"], (await chat.CallAsync(alice, Members("lobby"))).Members!); // still a member within the grace period
    }
}
