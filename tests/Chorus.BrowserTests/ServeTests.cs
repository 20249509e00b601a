using System.Net;
using Chorus.IntegrationTests.Infrastructure;

namespace Chorus.BrowserTests;

/// <summary>The pages as the real <c>chorus serve</c> process serves them (the README's first command).</summary>
public sealed class ServeTests
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_gives_a_working_demo_from_any_working_directory()
    {
        // Another working directory than the build's: the pages and the client are embedded in the server.
        string dir = Path.Combine(Path.GetTempPath(), "chorus-serve-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await using var serve = CliProcess.StartIn(dir, "serve", "--port", "0", "--data", Path.Combine(dir, "data"));
            string url = (await serve.NextLineAsync(TimeSpan.FromSeconds(30)))["url: ".Length..];
            string page = await s_http.GetStringAsync(url + "/demo", Ct);
            Assert.Contains("id=\"room-panel\"", page); // the demo itself, not the "client not built" page
            using var client = await s_http.GetAsync(url + "/demo/lib/index.js", Ct);
            Assert.Equal(HttpStatusCode.OK, client.StatusCode);
            Assert.Equal("text/javascript", client.Content.Headers.ContentType?.MediaType);
            Assert.Contains("ZegoExpressEngine", await client.Content.ReadAsStringAsync(Ct));
            using var admin = await s_http.GetAsync(url + "/admin", Ct);
            Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode); // no AdminKey, no admin page
            await serve.KillAsync();
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Serve_refuses_a_short_admin_key_with_a_settings_error_and_never_echoes_it()
    {
        string dir = Path.Combine(Path.GetTempPath(), "chorus-serve-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "--port", "0", "--data", dir, "--Chorus:AdminKey=fifteen-chars!!");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Contains("chorus serve: Chorus:AdminKey must be at least 16 characters", stderr);
            Assert.DoesNotContain("fifteen-chars!!", stderr);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
