using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chorus.BrowserTests.Infrastructure;

/// <summary>
/// Another origin on loopback (its own port): a stand-in for an attacker's site, serving the pages a test gives it.
/// A real server rather than the browser's router, so that Chromium treats it like any other site on this machine.
/// </summary>
public sealed class OtherSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _pages = new();

    private OtherSite(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<OtherSite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        OtherSite? site = null;
        app.MapGet("/{name}", (string name) => site!._pages.TryGetValue(name, out var html) ? Results.Content(html, "text/html; charset=utf-8") : Results.NotFound());
        await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30));
        site = new OtherSite(app, new Uri(app.Urls.First()));
        return site;
    }

    /// <summary>Serves <paramref name="html"/> at <c>/name</c> and returns its address.</summary>
    public string Serve(string name, string html)
    {
        _pages[name] = html;
        return new Uri(Url, "/" + name).ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}
