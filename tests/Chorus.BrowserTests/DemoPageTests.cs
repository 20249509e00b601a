using System.Text;
using Chorus.BrowserTests.Infrastructure;
using Chorus.Client;
using Chorus.Protocol;
using Microsoft.Playwright;

namespace Chorus.BrowserTests;

/// <summary>The demo page (the TypeScript client in Chromium) against the real server and the C# SDK.</summary>
public sealed class DemoPageTests(Chromium chromium) : IClassFixture<Chromium>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<IPage> OpenDemoAsync(IBrowserContext context, WebServer server)
    {
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(server.Url, "/demo").ToString());
        await page.WaitForSelectorAsync("body[data-ready='true']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        Assert.Empty(errors);
        return page;
    }

    private static async Task RoomLoginAsync(IPage page, string roomId, string userId)
    {
        await page.FillAsync("#room-id", roomId);
        await page.FillAsync("#room-user", userId);
        await page.ClickAsync("#room-login-button");
        await Assertions.Expect(page.Locator("#room-state")).ToHaveTextAsync("logged in");
    }

    private static async Task ChatLoginAsync(IPage page, string userId)
    {
        await page.FillAsync("#chat-user", userId);
        await page.ClickAsync("#chat-login-button");
        await Assertions.Expect(page.Locator("#chat-state")).ToHaveTextAsync("connected");
    }

    private static async Task OpenConversationAsync(IPage page, string peer)
    {
        await page.FillAsync("#chat-peer", peer);
        await page.ClickAsync("#chat-open-button");
        await Assertions.Expect(page.Locator("#chat-with")).ToHaveTextAsync("with " + peer);
    }

    private static async Task SendChatAsync(IPage page, string text)
    {
        await page.FillAsync("#chat-text", text);
        await page.ClickAsync("#chat-send-button");
        await Assertions.Expect(page.Locator("#messages li .mine").Last).ToHaveTextAsync(text);
    }

    [Fact]
    public async Task The_demo_page_and_a_csharp_client_exchange_custom_commands_and_chat_messages_both_ways()
    {
        await using var server = await WebServer.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await OpenDemoAsync(context, server);
        await Assertions.Expect(page.Locator("#dev-warning")).ToContainTextAsync("/demo/token");

        // Rooms: the page logs in, the SDK joins, the page's member list follows live.
        await RoomLoginAsync(page, "demo-room", "web-alice");
        var sdk = await server.RoomClientAsync("demo-room", "sdk-bob");
        await Assertions.Expect(page.Locator("#room-members li")).ToHaveTextAsync(["web-alice", "sdk-bob"]);
        var toSdk = new TaskCompletionSource<CustomCommandReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        sdk.CustomCommandReceived += (_, e) => toSdk.TrySetResult(e);
        var broadcast = new TaskCompletionSource<BroadcastMessagesReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        sdk.BroadcastMessageReceived += (_, e) => broadcast.TrySetResult(e);

        var sent = await sdk.SendCustomCommandAsync("demo-room", "hello web, from C#", [new RoomUser("web-alice")], Ct);
        Assert.Equal(0, sent.ErrorCode);
        await Assertions.Expect(page.Locator("#room-log .command")).ToHaveTextAsync(["command from sdk-bob: hello web, from C#"]);

        await page.FillAsync("#room-command-text", "hello C#, from the browser");
        await page.FillAsync("#room-command-to", "sdk-bob");
        await page.ClickAsync("#room-command-send");
        var command = await toSdk.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(("web-alice", "hello C#, from the browser"), (command.FromUser.UserId, command.Command));

        Assert.Equal(0, (await sdk.SendBroadcastMessageAsync("demo-room", "a broadcast from C#", Ct)).ErrorCode);
        await Assertions.Expect(page.Locator("#room-log .broadcast")).ToHaveTextAsync(["broadcast from sdk-bob: a broadcast from C#"]);

        await page.FillAsync("#room-broadcast-text", "a broadcast from the browser");
        await page.ClickAsync("#room-broadcast-send");
        var message = Assert.Single((await broadcast.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Messages);
        Assert.Equal(("web-alice", "a broadcast from the browser"), (message.FromUser.UserId, message.Message));

        // Chat: the SDK writes first; the page shows the conversation with one unread message, opens it, answers.
        await ChatLoginAsync(page, "web-alice");
        var chat = await server.ChatClientAsync("sdk-bob");
        var received = new TaskCompletionSource<MessagesReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        chat.PeerMessageReceived += (_, e) => received.TrySetResult(e);
        var result = await chat.SendMessageAsync(ChatMessage.Text("hi from C# chat"), "web-alice", ConversationType.Peer, cancellationToken: Ct);
        Assert.Equal(0, result.ErrorCode);
        var conversation = page.Locator("#conversations li[data-conversation-id='sdk-bob']");
        await Assertions.Expect(conversation.Locator(".badge")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#chat-unread")).ToHaveTextAsync("1");
        await Chromium.ScreenshotAsync(page, "demo-unread-from-csharp");
        await conversation.ClickAsync();
        await Assertions.Expect(page.Locator("#messages li .text")).ToHaveTextAsync(["hi from C# chat"]);
        await Assertions.Expect(conversation.Locator(".badge")).ToHaveCountAsync(0);
        await SendChatAsync(page, "hi back from the browser");
        var reply = Assert.Single((await received.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Messages);
        Assert.Equal(("web-alice", "hi back from the browser"), (reply.SenderUserId, reply.Message));

        // The SDK leaves the room: the page's member list drops it.
        await sdk.LogoutRoomAsync("demo-room", Ct);
        await Assertions.Expect(page.Locator("#room-members li")).ToHaveTextAsync(["web-alice"]);
        await Chromium.ScreenshotAsync(page, "demo-with-csharp-client");
    }

    [Fact]
    public async Task Two_pages_chat_and_one_that_was_away_catches_up_on_what_it_missed()
    {
        await using var server = await WebServer.StartAsync();
        await using var contextA = await chromium.NewContextAsync();
        await using var contextB = await chromium.NewContextAsync();
        var ann = await OpenDemoAsync(contextA, server);
        var ben = await OpenDemoAsync(contextB, server);
        await ChatLoginAsync(ann, "ann");
        await ChatLoginAsync(ben, "ben");

        await OpenConversationAsync(ann, "ben");
        await SendChatAsync(ann, "hello ben");
        var fromAnn = ben.Locator("#conversations li[data-conversation-id='ann']");
        await Assertions.Expect(fromAnn.Locator(".badge")).ToHaveTextAsync("1");
        await fromAnn.ClickAsync();
        await Assertions.Expect(ben.Locator("#messages li .text")).ToHaveTextAsync(["hello ben"]);
        await SendChatAsync(ben, "hi ann");
        await Assertions.Expect(ann.Locator("#messages li .text")).ToHaveTextAsync(["hi ann"]); // live, in the open conversation

        // Ben's page goes away; Ann writes twice; Ben's page comes back (same tab), logs back in and shows what it missed.
        string demo = ben.Url;
        await ben.GotoAsync("about:blank");
        await SendChatAsync(ann, "while you were away (1)");
        await SendChatAsync(ann, "while you were away (2)");
        await ben.GotoAsync(demo);
        await Assertions.Expect(ben.Locator("#chat-state")).ToHaveTextAsync("connected");
        await Assertions.Expect(ben.Locator("#chat-with")).ToHaveTextAsync("with ann");
        await Assertions.Expect(ben.Locator("#messages li .text, #messages li .mine")).ToHaveTextAsync(
            ["hello ben", "hi ann", "while you were away (1)", "while you were away (2)"]);
        await Chromium.ScreenshotAsync(ben, "demo-caught-up-after-reload");

        // A plain reload shows the same conversation again, and a message sent right after reaches the other page live.
        await ben.ReloadAsync();
        await Assertions.Expect(ben.Locator("#messages li")).ToHaveCountAsync(4);
        await SendChatAsync(ben, "back again");
        await Assertions.Expect(ann.Locator("#messages li .text")).ToHaveTextAsync(["hi ann", "back again"]);
        await Chromium.ScreenshotAsync(ann, "demo-two-pages");
    }

    [Fact]
    public async Task Hostile_room_ids_user_ids_and_messages_are_shown_as_text_and_run_nothing()
    {
        await using var server = await WebServer.StartAsync();
        const string room = "<img/src=x/onerror=window.__pwned='room'>";
        const string webUser = "<script>window.__pwned='user'</script>";
        const string sdkUser = "<img src=x onerror=\"window.__pwned='sdk'\">";
        const string command = "<img src=x onerror=\"window.__pwned='command'\">";
        const string chatText = "<b>bold?</b><img src=x onerror=\"window.__pwned='chat'\"><script>window.__pwned='chat2'</script>";
        await using var context = await chromium.NewContextAsync();
        var page = await OpenDemoAsync(context, server);
        await RoomLoginAsync(page, room, webUser);
        var sdk = await server.RoomClientAsync(room, sdkUser);
        await Assertions.Expect(page.Locator("#room-members li")).ToHaveTextAsync([webUser, sdkUser]);
        Assert.Equal(0, (await sdk.SendCustomCommandAsync(room, command, null, Ct)).ErrorCode);
        await Assertions.Expect(page.Locator("#room-log .command")).ToHaveTextAsync([$"command from {sdkUser}: {command}"]);

        await ChatLoginAsync(page, webUser);
        var chat = await server.ChatClientAsync(sdkUser);
        Assert.Equal(0, (await chat.SendMessageAsync(ChatMessage.Text(chatText), webUser, ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        var conversation = page.Locator("#conversations li").First;
        await Assertions.Expect(conversation.Locator(".name")).ToHaveTextAsync(sdkUser);
        await conversation.ClickAsync();
        await Assertions.Expect(page.Locator("#messages li .text")).ToHaveTextAsync([chatText]);
        await Chromium.ScreenshotAsync(page, "demo-hostile-text");

        Assert.Equal(0, await page.Locator("main img, main script, main b").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
    }

    [Fact]
    public async Task A_user_kicked_from_the_admin_page_sees_the_kick_on_the_demo_page()
    {
        await using var server = await WebServer.StartAsync();
        await using var demoContext = await chromium.NewContextAsync();
        var demo = await OpenDemoAsync(demoContext, server);
        await RoomLoginAsync(demo, "stage", "web-carl");

        await using var adminContext = await chromium.NewContextAsync();
        var admin = await adminContext.NewPageAsync();
        admin.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // "Kick user ... ?"
        await admin.GotoAsync(new Uri(server.Url, "/admin").ToString());
        await admin.FillAsync("#key", WebServer.AdminKey);
        await admin.ClickAsync("#key-use");
        var row = admin.Locator("#rooms tr[data-room-id='stage']");
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["web-carl"]);
        await row.Locator("li[data-user-id='web-carl'] button.kick").ClickAsync();

        await Assertions.Expect(demo.Locator("#room-state")).ToHaveTextAsync("KICKOUT (1002055)");
        await Assertions.Expect(demo.Locator("#room-log .error").Last).ToContainTextAsync("kicked out of stage: 1002055 kicked by the admin");
        await Assertions.Expect(demo.Locator("#room-login-button")).ToBeEnabledAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await Chromium.ScreenshotAsync(demo, "demo-kicked-by-admin");
    }

    [Fact]
    public async Task The_page_renews_its_room_and_chat_tokens_before_they_expire()
    {
        // Warned as soon as logged in: the notice is as long as the demo token's lifetime.
        await using var server = await WebServer.StartAsync(settings: new Dictionary<string, string?> { ["Chorus:TokenWillExpireNotice"] = "01:00:00" });
        await using var context = await chromium.NewContextAsync();
        var page = await OpenDemoAsync(context, server);
        int tokenRequests = 0;
        page.Request += (_, r) => { if (r.Url.Contains("/demo/token", StringComparison.Ordinal)) Interlocked.Increment(ref tokenRequests); };
        await RoomLoginAsync(page, "long-meeting", "web-fay");
        await Assertions.Expect(page.Locator("#room-log li").Filter(new LocatorFilterOptions { HasText = "token renewed" }).First).ToBeVisibleAsync();
        await ChatLoginAsync(page, "web-fay");
        await Assertions.Expect(page.Locator("#chat-token")).ToContainTextAsync("token renewed");
        Assert.True(Volatile.Read(ref tokenRequests) >= 4, $"token requests: {tokenRequests}"); // two logins, two renewals at least
        Assert.DoesNotContain(await page.Locator("#room-log .error").AllTextContentsAsync(), t => t.Contains("renewal failed", StringComparison.Ordinal));
        // Still in the room, still chatting.
        var sdk = await server.RoomClientAsync("long-meeting", "sdk-gus");
        await Assertions.Expect(page.Locator("#room-members li")).ToHaveTextAsync(["web-fay", "sdk-gus"]);
    }

    [Fact]
    public async Task The_event_log_keeps_the_newest_500_lines()
    {
        await using var server = await WebServer.StartAsync(settings: new Dictionary<string, string?> { ["Chorus:CustomCommandToOnePerSecond"] = "10000", ["Chorus:FramesPerConnectionPerSecond"] = "10000" });
        await using var context = await chromium.NewContextAsync();
        var page = await OpenDemoAsync(context, server);
        await RoomLoginAsync(page, "busy", "web-hal");
        var sdk = await server.RoomClientAsync("busy", "sdk-ida");
        for (int i = 1; i <= 520; i++)
            Assert.Equal(0, (await sdk.SendCustomCommandAsync("busy", $"command {i}", [new RoomUser("web-hal")], Ct)).ErrorCode);
        await Assertions.Expect(page.Locator("#room-log .command").Last).ToHaveTextAsync("command from sdk-ida: command 520");
        Assert.Equal(500, await page.Locator("#room-log li").CountAsync());
    }

    [Fact]
    public async Task History_pages_back_with_load_older()
    {
        await using var server = await WebServer.StartAsync(settings: new Dictionary<string, string?> { ["Chorus:ChatSendsPerSecond"] = "100" });
        var chat = await server.ChatClientAsync("sdk-dora");
        for (int i = 1; i <= 25; i++)
            Assert.Equal(0, (await chat.SendMessageAsync(ChatMessage.Text($"message {i:00}"), "web-eve", ConversationType.Peer, cancellationToken: Ct)).ErrorCode);
        await using var context = await chromium.NewContextAsync();
        var page = await OpenDemoAsync(context, server);
        await ChatLoginAsync(page, "web-eve");
        var conversation = page.Locator("#conversations li[data-conversation-id='sdk-dora']");
        await Assertions.Expect(conversation.Locator(".badge")).ToHaveTextAsync("25");
        await conversation.ClickAsync();
        // The newest page first (20), in order; then the 5 older ones above them.
        await Assertions.Expect(page.Locator("#messages li .text")).ToHaveTextAsync(Enumerable.Range(6, 20).Select(i => $"message {i:00}").ToArray());
        await page.ClickAsync("#chat-older");
        await Assertions.Expect(page.Locator("#messages li .text")).ToHaveTextAsync(Enumerable.Range(1, 25).Select(i => $"message {i:00}").ToArray());
        await Assertions.Expect(page.Locator("#chat-older")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#chat-unread")).ToHaveTextAsync("0");
    }
}
