using System.Text.Json;
using Chorus.IntegrationTests.Infrastructure;

namespace Chorus.IntegrationTests.JsClient;

/// <summary>
/// Reconnect and resume of the TypeScript client against the real server (clients/js/conformance/resume.mjs): its
/// connections are dropped and refused for a while by a loopback proxy while another user sends it chat messages; it
/// must log back into its room and chat by itself, get the missed messages once each, in order, as offline messages,
/// then live ones, and room traffic again.
/// </summary>
[Collection(JsClientCollection.Name)]
public sealed class JsClientResumeTests
{
    private static readonly string[] s_expected =
    [
        "setup ok",
        "alice received m0 seq=1 offline=false",
        "dropped: room RECONNECTING, chat Reconnecting",
        "bob sent m1..m3 seq=2,3,4",
        "restored: room RECONNECTED, chat Connected",
        "alice received m1 seq=2 offline=true",
        "alice received m2 seq=3 offline=true",
        "alice received m3 seq=4 offline=true",
        "alice received m4 seq=5 offline=false",
        "alice IMRecvCustomCommand from=bob command=still here",
        "deliveries=5",
        "end",
    ];

    [Fact]
    public async Task The_TypeScript_client_reconnects_logs_back_in_and_gets_missed_chat_messages_in_order()
    {
        await JsPackage.EnsureBuiltAsync();
        await using var server = await TestServer.StartAsync();
        string config = JsonSerializer.Serialize(new
        {
            server = server.Url.ToString(),
            appId = TestServer.AppA,
            tokens = new { alice = server.Token("alice"), bob = server.Token("bob") },
        });
        var run = await JsPackage.RunAsync(JsPackage.Node, ["conformance/resume.mjs", config], JsPackage.Directory, TimeSpan.FromSeconds(90));
        var transcript = run.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("T ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
        Assert.True(run.ExitCode == 0, $"the resume script failed (exit {run.ExitCode}):\n{run.Output}");
        Assert.Equal(s_expected, transcript);
    }
}
