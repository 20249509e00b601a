using Chorus.BrowserTests.Infrastructure;
using Chorus.Client;
using Chorus.Protocol;
using Chorus.Server.Rooms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Chorus.BrowserTests;

/// <summary>The admin page in Chromium: what it shows, what it does, and the attacks it resists.</summary>
public sealed class AdminPageTests(Chromium chromium) : IClassFixture<Chromium>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<IPage> OpenAdminAsync(IBrowserContext context, WebServer server)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.Url, "/admin").ToString());
        await page.FillAsync("#key", WebServer.AdminKey);
        await page.ClickAsync("#key-use");
        await page.WaitForSelectorAsync("#main:not([hidden])");
        return page;
    }

    [Fact]
    public async Task The_admin_page_lists_a_live_room_and_kicks_a_user_who_sees_the_kick()
    {
        await using var server = await WebServer.StartAsync();
        var alice = await server.RoomClientAsync("lobby", "alice");
        var bob = await server.RoomClientAsync("lobby", "bob");
        var kicked = new TaskCompletionSource<RoomStateChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.RoomStateChanged += (_, e) => { if (e.Reason == RoomStateReason.KickOut) kicked.TrySetResult(e); };
        var left = new TaskCompletionSource<RoomUserUpdated>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.RoomUserUpdated += (_, e) => { if (e.UpdateType == RoomUpdateType.Delete) left.TrySetResult(e); };

        await using var context = await chromium.NewContextAsync();
        var page = await OpenAdminAsync(context, server);
        // Kick and close ask first, naming what they act on: the first answer is no, then yes.
        var dialogs = new List<string>();
        bool accept = false;
        page.Dialog += async (_, dialog) =>
        {
            lock (dialogs) dialogs.Add(dialog.Type + ": " + dialog.Message);
            if (accept) await dialog.AcceptAsync(); else await dialog.DismissAsync();
        };
        var row = page.Locator("#rooms tr[data-room-id='lobby']");
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["alice", "bob"]);
        await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#connections")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#node")).ToHaveTextAsync($"node {server.Services.GetRequiredService<Chorus.Server.Core.NodeIdentity>().Id}");

        await row.Locator("li[data-user-id='bob'] button.kick").ClickAsync();
        lock (dialogs) Assert.Equal("confirm: Kick user \"bob\" out of room \"lobby\" (app 1)?", Assert.Single(dialogs));
        Assert.Equal(2, await server.Services.GetRequiredService<IRoomLifetimeManager>().CountAsync(WebServer.DevAppId, "lobby")); // dismissed: nothing done
        accept = true;
        await Assertions.Expect(page.Locator("#apps tr td").First).ToHaveTextAsync("1 (development app)");
        await Chromium.ScreenshotAsync(page, "admin-live-room");

        await row.Locator("li[data-user-id='bob'] button.kick").ClickAsync();
        var state = await kicked.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal((RoomErrorCodes.KickedByServer, "kicked by the admin"), (state.ErrorCode, state.ExtendedData));
        Assert.Equal("bob", Assert.Single((await left.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Users).UserId);
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["alice"]);
        await Assertions.Expect(page.Locator("#log li").First).ToContainTextAsync("kicked bob from lobby");

        // A custom command from the page reaches the room's member.
        var commands = new TaskCompletionSource<CustomCommandReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.CustomCommandReceived += (_, e) => commands.TrySetResult(e);
        await row.Locator("button.command").ClickAsync();
        await page.FillAsync("#command-text", "maintenance in 5 minutes");
        await page.ClickAsync("#command-send");
        var command = await commands.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(("admin", "maintenance in 5 minutes"), (command.FromUser.UserId, command.Command));

        // Closing the room kicks everyone left and the room disappears from the list.
        await page.Mouse.MoveAsync(0, 0);
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["alice"]);
        await row.Locator("button.close-room").ClickAsync();
        await Assertions.Expect(page.Locator("#rooms tr")).ToHaveCountAsync(0);
        Assert.Equal(0, await server.Services.GetRequiredService<IRoomLifetimeManager>().CountAsync(WebServer.DevAppId, "lobby"));
        lock (dialogs) Assert.Equal("confirm: Close room \"lobby\" (app 1) and kick its 1 user(s)?", dialogs[^1]);
        await Chromium.ScreenshotAsync(page, "admin-after-kick-and-close");
    }

    [Fact]
    public async Task The_rooms_table_does_not_rebuild_under_the_pointer()
    {
        await using var server = await WebServer.StartAsync();
        await server.RoomClientAsync("hall", "alice");
        await using var context = await chromium.NewContextAsync();
        var page = await OpenAdminAsync(context, server);
        var row = page.Locator("#rooms tr[data-room-id='hall']");
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["alice"]);
        await row.Locator(".user-id").HoverAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Paused while the pointer is on the rooms table.");
        await server.RoomClientAsync("hall", "bob");
        // Wait (bounded) for two more skipped refreshes after bob joined: the table still shows the old list.
        int skipped = int.Parse(await page.EvaluateAsync<string>("() => document.body.dataset.skipped ?? '0'"), System.Globalization.CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync($"() => Number(document.body.dataset.skipped ?? 0) >= {skipped + 2}", null, new PageWaitForFunctionOptions { Timeout = 15_000 });
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["alice"]);
        // The pointer leaves: the page refreshes at once.
        await page.Mouse.MoveAsync(0, 0);
        await Assertions.Expect(row.Locator(".user-id")).ToHaveTextAsync(["alice", "bob"]);
    }

    [Fact]
    public async Task Room_ids_user_ids_and_names_are_shown_as_text_and_run_nothing()
    {
        await using var server = await WebServer.StartAsync();
        // A RoomId may hold < > / = ( ) ' but no space; a UserId almost anything.
        const string hostileRoom = "<img/src=x/onerror=window.__pwned='room'>";
        const string hostileUser = "<script>window.__pwned='user'</script>";
        const string hostileUser2 = "<img src=x onerror=\"window.__pwned='user2'\">";
        await server.RoomClientAsync(hostileRoom, hostileUser);
        await server.RoomClientAsync(hostileRoom, hostileUser2);

        await using var context = await chromium.NewContextAsync();
        var cspViolations = new List<string>();
        var page = await OpenAdminAsync(context, server);
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) cspViolations.Add(m.Text); };
        await Assertions.Expect(page.Locator("#rooms .room-id")).ToHaveTextAsync([hostileRoom]);
        await Assertions.Expect(page.Locator("#rooms .user-id")).ToHaveTextAsync([hostileUser, hostileUser2]);
        await Chromium.ScreenshotAsync(page, "admin-hostile-ids");
        Assert.Equal(0, await page.Locator("#rooms img, #rooms script").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        Assert.Empty(cspViolations); // not even blocked: nothing was parsed as markup in the first place
    }

    [Fact]
    public async Task Another_origin_cannot_show_the_admin_or_demo_page_in_a_frame()
    {
        await using var server = await WebServer.StartAsync();
        await using var context = await chromium.NewContextAsync();
        string admin = new Uri(server.Url, "/admin").ToString(), demo = new Uri(server.Url, "/demo").ToString();
        await using var attacker = await OtherSite.StartAsync();
        string framing = attacker.Serve("frame.html",
            $"""<!doctype html><h1>another site</h1><iframe id="a" src="{admin}" width="800" height="400"></iframe><iframe id="d" src="{demo}" width="800" height="400"></iframe>""");
        var page = await context.NewPageAsync();
        await page.GotoAsync(framing);
        // A frame refused by policy ends on Chromium's error page; wait (bounded) until both have.
        var frames = page.Frames.Where(f => f != page.MainFrame).ToList();
        Assert.Equal(2, frames.Count);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (frames.Any(f => !f.Url.StartsWith("chrome-error://", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(50, Ct);
        foreach (var frame in frames)
        {
            Assert.StartsWith("chrome-error://", frame.Url);
            Assert.Equal(0, await frame.Locator("#key-form, #room-panel, #not-built").CountAsync()); // nothing of the pages is shown
        }
        await Chromium.ScreenshotAsync(page, "admin-framed-by-another-origin");

        // The same page on the server's own origin is shown (the frame is blocked by policy, not broken).
        var own = await context.NewPageAsync();
        await own.GotoAsync(admin);
        Assert.Equal(1, await own.Locator("#key-form").CountAsync());
    }

    [Fact]
    public async Task A_cross_site_form_post_and_fetch_cannot_close_a_room()
    {
        await using var server = await WebServer.StartAsync();
        await server.RoomClientAsync("target", "alice");
        string closeUrl = new Uri(server.Url, "/admin/api/close-room").ToString();
        await using var context = await chromium.NewContextAsync();
        // The operator is "logged in" in this browser: the admin page of the server holds the key in its session.
        await OpenAdminAsync(context, server);
        await using var site = await OtherSite.StartAsync();
        string csrf = site.Serve("csrf.html", $$"""
                <!doctype html>
                <form id="f" method="post" action="{{closeUrl}}" enctype="text/plain">
                  <input name='{"appId":1,"roomId":"target","x":"' value='"}'>
                </form>
                <script>
                  fetch("{{closeUrl}}", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: '{"appId":1,"roomId":"target"}' })
                    .finally(() => document.getElementById("f").submit());
                </script>
                """);
        var attacker = await context.NewPageAsync();
        var answer = attacker.WaitForResponseAsync(r => r.Url == closeUrl && r.Request.ResourceType == "document");
        await attacker.GotoAsync(csrf);
        var response = await answer;
        Assert.Equal(403, response.Status);
        Assert.Contains("cross-origin", await response.TextAsync());
        await Chromium.ScreenshotAsync(attacker, "admin-cross-site-post-refused");
        Assert.Equal(1, await server.Services.GetRequiredService<IRoomLifetimeManager>().CountAsync(WebServer.DevAppId, "target"));
    }

    [Fact]
    public async Task A_wrong_key_shows_nothing()
    {
        await using var server = await WebServer.StartAsync();
        await server.RoomClientAsync("secret-room", "alice");
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.Url, "/admin").ToString());
        await page.FillAsync("#key", "not-the-admin-key-at-all");
        await page.ClickAsync("#key-use");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("the admin key was refused");
        await Assertions.Expect(page.Locator("#main")).ToBeHiddenAsync();
        Assert.Equal(0, await page.GetByText("secret-room").CountAsync());
        await Chromium.ScreenshotAsync(page, "admin-wrong-key");
    }
}
