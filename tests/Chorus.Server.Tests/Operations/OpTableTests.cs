using System.Reflection;
using System.Text;
using Chorus.Protocol;
using Chorus.Server.Core.Operations;
using Chorus.Server.Hosting;
using Chorus.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Server.Tests.Operations;

/// <summary>
/// The op table as the server builds it: every client→server op of the protocol is registered once, each with what its
/// caller must be, and docs/security.md lists exactly that table.
/// </summary>
public sealed class OpTableTests : IAsyncLifetime
{
    private const string Begin = "<!-- op-table:begin (written by OpTableTests; run them with CHORUS_WRITE_DOCS=1 to update) -->";
    private const string End = "<!-- op-table:end -->";

    /// <summary>The ops a client sends: every op constant but those only the server sends.</summary>
    private static readonly string[] ServerToClientOnly =
    [
        Ops.Hello, Ops.Result, Ops.Pong, Ops.UserUpdate, Ops.OnlineCount, Ops.RoomState, Ops.TokenWillExpire, Ops.ExtraInfo, Ops.Error,
        Ops.ChatMessage, Ops.ConversationChanged, Ops.UnreadTotalChanged, Ops.ReceiptChanged, Ops.MessageRevoked, Ops.ChatKickedOut,
        Ops.ChatTokenWillExpire, Ops.GroupMemberChanged,
    ];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chorus-optable-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = ChorusServerApp.Create(["--Chorus:DataDirectory", _directory], b => b.Services.AddSqliteStore());
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private OpRegistry Table => _app!.Services.GetRequiredService<OpRegistry>();

    [Fact]
    public void Every_client_op_of_the_protocol_is_in_the_table_and_nothing_else()
    {
        var protocolOps = typeof(Ops).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name != nameof(Ops.SubProtocol))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Except(ServerToClientOnly)
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(protocolOps, Table.Entries.Select(e => e.Op).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Every_op_says_what_its_caller_must_be()
    {
        foreach (var entry in Table.Entries)
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Caller.Name), $"op '{entry.Op}' has no caller requirement");
            Assert.False(string.IsNullOrWhiteSpace(entry.Caller.Description), $"op '{entry.Op}' has no description of its requirement");
            Assert.False(string.IsNullOrWhiteSpace(entry.Feature), $"op '{entry.Op}' names no feature");
        }
        // Only logins and the heartbeat are open to any connection; everything else needs a room or chat login.
        Assert.Equal([Ops.ChatLogin, Ops.Login, Ops.Logout, Ops.Ping, Ops.RenewToken],
            Table.Entries.Where(e => e.Caller.Name == AnyConnection.Name).Select(e => e.Op).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal([Ops.ChatLogin, Ops.Login], Table.Entries.Where(e => e.Rate == RateClass.Login).Select(e => e.Op).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void The_unknown_op_is_not_found()
    {
        Assert.Null(Table.Find("noSuchOp"));
        Assert.Null(Table.Find(null));
        Assert.Null(Table.Find("LOGIN")); // op names are exact
    }

    [Fact]
    public void Docs_security_md_lists_the_table()
    {
        string path = Path.Combine(RepositoryRoot(), "docs", "security.md");
        string doc = File.ReadAllText(path);
        int begin = doc.IndexOf(Begin, StringComparison.Ordinal), end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"docs/security.md has no op table between '{Begin}' and '{End}'");
        string expected = Render(Table);
        string actual = doc[(begin + Begin.Length)..end];
        if (actual != expected && Environment.GetEnvironmentVariable("CHORUS_WRITE_DOCS") == "1")
        {
            File.WriteAllText(path, doc[..(begin + Begin.Length)] + expected + doc[end..]);
            return;
        }
        Assert.True(actual == expected, "docs/security.md's op table is stale; run this test with CHORUS_WRITE_DOCS=1 to write it:\n" + expected);
    }

    private static string Render(OpRegistry table)
    {
        var text = new StringBuilder("\n| op | feature | the caller must be (checked before the handler) | the handler checks as it runs | rate class |\n| --- | --- | --- | --- | --- |\n");
        foreach (var e in table.Entries)
            text.Append($"| `{e.Op}` | {e.Feature} | {e.Caller.Name}: {e.Caller.Description} | {(e.Checks.Length == 0 ? "-" : e.Checks)} | {e.Rate.ToString().ToLowerInvariant()} |\n");
        return text.Append('\n').ToString();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Chorus.slnx not found above " + AppContext.BaseDirectory);
    }
}
