using Chorus.Protocol;

namespace Chorus.Server.Tests.Chat;

/// <summary>Chat logins without sockets: token expiry on a fake clock, one login per user, logout, connection close.</summary>
public sealed class ChatSessionTests
{
    [Fact]
    public async Task Token_will_expire_notice_comes_once_when_at_most_the_notice_period_is_left()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice", lifetimeSeconds: 100);
        long notice = (long)chat.Auth.TokenWillExpireNotice.TotalSeconds;

        chat.Time.Advance(TimeSpan.FromSeconds(100 - notice - 1));
        chat.Service.RunMaintenance();
        Assert.Empty(alice.Of(Ops.ChatTokenWillExpire)); // one second more than the notice period is left

        chat.Time.Advance(TimeSpan.FromSeconds(1));
        chat.Service.RunMaintenance();
        chat.Service.RunMaintenance();
        var warning = Assert.Single(alice.Of(Ops.ChatTokenWillExpire));
        Assert.Equal((int)notice, warning.SecondsLeft);
        Assert.Empty(alice.Of(Ops.ChatKickedOut));
        Assert.True(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "alice"));
    }

    [Fact]
    public async Task Expired_token_logs_out_with_6000106_and_later_requests_get_6000121()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice", lifetimeSeconds: 100);

        chat.Time.Advance(TimeSpan.FromSeconds(99));
        chat.Service.RunMaintenance();
        Assert.Empty(alice.Of(Ops.ChatKickedOut)); // one second left

        chat.Time.Advance(TimeSpan.FromSeconds(1));
        chat.Service.RunMaintenance();
        var kicked = Assert.Single(alice.Of(Ops.ChatKickedOut));
        Assert.Equal(ChatErrorCodes.TokenExpired, kicked.ErrorCode);
        Assert.False(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "alice"));

        var send = await chat.CallAsync(alice, ChatCore.PeerText("bob", "hi"));
        Assert.Equal(ChatErrorCodes.NotLoggedIn, send.ErrorCode);
        chat.Service.RunMaintenance();
        Assert.Single(alice.Of(Ops.ChatKickedOut)); // told once
    }

    [Fact]
    public async Task Renewed_token_restarts_the_notice_and_moves_the_expiry()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice", lifetimeSeconds: 100);
        chat.Time.Advance(TimeSpan.FromSeconds(80));
        chat.Service.RunMaintenance();
        Assert.Single(alice.Of(Ops.ChatTokenWillExpire));

        var renew = await chat.CallAsync(alice, new Frame { Op = Ops.ChatRenewToken, Token = chat.Token("alice", lifetimeSeconds: 100) });
        Assert.Equal(0, renew.ErrorCode);
        chat.Time.Advance(TimeSpan.FromSeconds(20)); // the first token's expiry
        chat.Service.RunMaintenance();
        Assert.Empty(alice.Of(Ops.ChatKickedOut));
        Assert.Single(alice.Of(Ops.ChatTokenWillExpire));

        chat.Time.Advance(TimeSpan.FromSeconds(60)); // 20 s left of the new token
        chat.Service.RunMaintenance();
        Assert.Equal(2, alice.Of(Ops.ChatTokenWillExpire).Count);
    }

    [Fact]
    public async Task Renewal_with_another_users_token_is_refused_and_changes_nothing()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice", lifetimeSeconds: 100);
        var renew = await chat.CallAsync(alice, new Frame { Op = Ops.ChatRenewToken, Token = chat.Token("bob", lifetimeSeconds: 1000) });
        Assert.Equal(ChatErrorCodes.TokenInvalid, renew.ErrorCode);

        chat.Time.Advance(TimeSpan.FromSeconds(100));
        chat.Service.RunMaintenance();
        Assert.Equal(ChatErrorCodes.TokenExpired, Assert.Single(alice.Of(Ops.ChatKickedOut)).ErrorCode);
    }

    [Fact]
    public async Task Second_login_of_a_user_kicks_the_first_connection_out()
    {
        await using var chat = new ChatCore();
        var first = await chat.LoginAsync("alice");
        var second = await chat.LoginAsync("alice");

        var kicked = Assert.Single(first.Of(Ops.ChatKickedOut));
        Assert.Equal(ChatErrorCodes.NotLoggedIn, kicked.ErrorCode);
        Assert.Equal("the same user logged in elsewhere", kicked.Error);
        Assert.Empty(second.Of(Ops.ChatKickedOut));
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await chat.CallAsync(first, ChatCore.PeerText("bob", "hi"))).ErrorCode);

        // The kicked connection closing does not take the user offline: the new login is the user's.
        chat.Service.OnSessionClosed(first);
        Assert.True(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "alice"));
        var bob = await chat.LoginAsync("bob");
        Assert.Equal(0, (await chat.CallAsync(bob, ChatCore.PeerText("alice", "hi"))).ErrorCode);
        Assert.Single(second.Of(Ops.ChatMessage));
        Assert.Empty(first.Of(Ops.ChatMessage));
    }

    [Fact]
    public async Task A_connection_is_one_chat_user_and_the_same_user_may_log_in_again()
    {
        await using var chat = new ChatCore();
        var connection = await chat.LoginAsync("alice");
        var other = await chat.CallAsync(connection, new Frame { Op = Ops.ChatLogin, UserId = "bob", Token = chat.Token("bob") });
        Assert.Equal(ChatErrorCodes.LoginFailed, other.ErrorCode);
        Assert.Equal("this connection is logged into chat as another user", other.Error);

        await chat.LoginAsync(connection, "alice");
        Assert.Empty(connection.Of(Ops.ChatKickedOut)); // its own login again is not "elsewhere"
    }

    [Fact]
    public async Task Logout_and_connection_close_take_the_user_offline()
    {
        await using var chat = new ChatCore();
        var alice = await chat.LoginAsync("alice");
        var bob = await chat.LoginAsync("bob");

        Assert.Equal(0, (await chat.CallAsync(alice, new Frame { Op = Ops.ChatLogout })).ErrorCode);
        Assert.False(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "alice"));
        Assert.Equal(ChatErrorCodes.NotLoggedIn, (await chat.CallAsync(alice, ChatCore.PeerText("bob", "hi"))).ErrorCode);

        chat.Service.OnSessionClosed(bob);
        Assert.False(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "bob"));

        // After logout the connection may log in as someone else.
        await chat.LoginAsync(alice, "carol");
        Assert.True(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "carol"));
    }

    [Fact]
    public async Task Login_checks_UserId_and_UserName_at_their_byte_limits()
    {
        await using var chat = new ChatCore();
        string id64 = new('u', 64), id65 = new('u', 65);
        var atLimit = new FakeConnection(ChatCore.AppId);
        Assert.Equal(0, (await chat.CallAsync(atLimit, new Frame { Op = Ops.ChatLogin, UserId = id64, UserName = new string('n', 255), Token = chat.Token(id64) })).ErrorCode);

        var overId = await chat.CallAsync(new FakeConnection(ChatCore.AppId), new Frame { Op = Ops.ChatLogin, UserId = id65, Token = chat.Token(id65) });
        Assert.Equal(ChatErrorCodes.BadParameter, overId.ErrorCode);
        var overName = await chat.CallAsync(new FakeConnection(ChatCore.AppId), new Frame { Op = Ops.ChatLogin, UserId = "alice", UserName = new string('n', 256), Token = chat.Token("alice") });
        Assert.Equal(ChatErrorCodes.BadParameter, overName.ErrorCode);
        Assert.Equal("UserName is longer than 255 bytes", overName.Error);
        Assert.False(await chat.Sessions.IsOnlineAsync(ChatCore.AppId, "alice"));
    }
}
