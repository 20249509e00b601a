using System.Text.Json;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Hosting;
using Chorus.Server.Rooms;
using Chorus.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.IntegrationTests;

/// <summary>Replays across restarts and the data directory's lock, with real server processes.</summary>
public class ServerApiReplayAndLockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "chorus-lock-test-" + Guid.NewGuid().ToString("N"));

    private static CliProcess Serve(string data) =>
        CliProcess.Start("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}");

    private static async Task<string> UrlOfAsync(CliProcess serve)
    {
        string line = await serve.NextLineAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("url: http://127.0.0.1:", line);
        return line["url: ".Length..];
    }

    private static string SignedQuery(string nonce) =>
        "Action=DescribeUserNum&RoomId[]=r1&" + ServerApiSignature.BuildCommonQuery(TestServer.AppA, TestServer.SecretA, DateTimeOffset.UtcNow, nonce);

    private static async Task<(int Code, string Message)> GetAsync(string url, string query)
    {
        using var response = await s_http.GetAsync(new Uri(new Uri(url), "/?" + query), Ct);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        return (json.GetProperty("Code").GetInt32(), json.GetProperty("Message").GetString()!);
    }

    private static void DeleteDirectory(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_signed_request_replayed_after_a_restart_on_the_same_data_directory_is_refused()
    {
        string data = NewDataDirectory();
        try
        {
            string once = SignedQuery(ServerApiSignature.NewNonce());
            string twice = SignedQuery(ServerApiSignature.NewNonce());
            await using (var first = Serve(data))
            {
                string url = await UrlOfAsync(first);
                Assert.Equal(0, (await GetAsync(url, once)).Code);
                Assert.Equal(0, (await GetAsync(url, twice)).Code);
                // killed at once (SIGKILL): an answered request's nonce is already on disk
                await first.KillAsync();
            }

            await using (var second = Serve(data))
            {
                string url = await UrlOfAsync(second);
                foreach (string replayed in new[] { once, twice })
                {
                    var (code, message) = await GetAsync(url, replayed);
                    Assert.Equal(ServerApiCodes.SignatureInvalid, code);
                    Assert.Equal("SignatureNonce was already used (replayed request)", message);
                }
                // a fresh nonce is fine, and is itself refused when replayed
                string fresh = SignedQuery(ServerApiSignature.NewNonce());
                Assert.Equal(0, (await GetAsync(url, fresh)).Code);
                Assert.Equal(ServerApiCodes.SignatureInvalid, (await GetAsync(url, fresh)).Code);
            }

            // an orderly restart (in-process, the same data directory) remembers them too
            await using (var third = await TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:DataDirectory"] = data }))
            {
                Assert.Equal(ServerApiCodes.SignatureInvalid, (await GetAsync(third.Url.ToString(), once)).Code);
                Assert.Equal(0, (await GetAsync(third.Url.ToString(), SignedQuery(ServerApiSignature.NewNonce()))).Code);
            }
        }
        finally
        {
            DeleteDirectory(data);
        }
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_directory_refuses_to_start_and_a_killed_one_does_not_block_a_restart()
    {
        string data = NewDataDirectory();
        try
        {
            await using var first = Serve(data);
            string url = await UrlOfAsync(first);

            var second = await CliProcess.RunAsync("serve", "--port", "0", "--data", data, "--app", $"{TestServer.AppA}:{TestServer.SecretA}");
            Assert.Equal(2, second.ExitCode);
            Assert.DoesNotContain("url:", second.Stdout);
            string lockPath = Path.Combine(data, DataDirectoryLock.FileName);
            Assert.Contains($"chorus serve: the data directory is in use: its lock file {lockPath} is held by another Chorus process", second.Stderr);
            Assert.DoesNotContain("   at ", second.Stderr); // one clear line, no stack trace
            Assert.Equal(0, (await GetAsync(url, SignedQuery(ServerApiSignature.NewNonce()))).Code); // the first is unharmed

            // the library host refuses the same way (here in this test's process)
            var inProcess = await Assert.ThrowsAsync<DataDirectoryLockedException>(() =>
                TestServer.StartAsync(new Dictionary<string, string?> { ["Chorus:DataDirectory"] = data }));
            Assert.True(inProcess.HeldByAnother);
            Assert.Equal(lockPath, inProcess.LockPath);

            // a crash (SIGKILL: no shutdown code runs) releases the lock with the process
            await first.KillAsync();
            await using var third = Serve(data);
            string url3 = await UrlOfAsync(third);
            Assert.Equal(0, (await GetAsync(url3, SignedQuery(ServerApiSignature.NewNonce()))).Code);
        }
        finally
        {
            DeleteDirectory(data);
        }
    }

    [Fact]
    public async Task A_request_whose_nonce_cannot_be_recorded_is_not_run()
    {
        await using var server = await TestServer.StartAsync();
        await server.LoggedInAsync("r1", "alice");
        // the nonce file goes away under the running server (as on a failing disk)
        await server.Services.GetRequiredService<ISignatureNonceStore>().DisposeAsync();

        var answer = await server.CallAsync("KickoutUser", ("RoomId", "r1"), ("UserId[]", "alice"));
        Assert.Equal(ServerApiCodes.Failed, answer.GetProperty("Code").GetInt32());
        Assert.Equal(SignatureVerifier.NonceStoreFailedMessage, answer.GetProperty("Message").GetString());
        Assert.NotNull(server.Services.GetRequiredService<RoomRegistry>().Find(TestServer.AppA, "r1")?.Find("alice")); // not kicked
    }
}
