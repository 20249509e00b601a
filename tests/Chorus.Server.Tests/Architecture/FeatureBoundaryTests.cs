using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Chorus.Bus.Redis;

namespace Chorus.Server.Tests.Architecture;

/// <summary>
/// The boundaries the README's layout section draws: a backplane references the contracts assembly, never the server; the
/// gateway and the features (rooms, chat) do not name each other; the composition root (Hosting) is the one place
/// that knows them all.
/// </summary>
public sealed partial class FeatureBoundaryTests
{
    [Fact]
    public void The_Redis_backplane_references_the_contracts_not_the_server()
    {
        var references = typeof(RedisRoomLifetimeManager).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Chorus.Server.Abstractions", references);
        Assert.DoesNotContain("Chorus.Server", references);

        var serverAssembly = typeof(Chorus.Server.Hosting.ChorusServerApp).Assembly;
        var friends = serverAssembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();
        Assert.DoesNotContain(friends, f => f.StartsWith("Chorus.Bus", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Rooms", "Chat")]
    [InlineData("Rooms", "Gateway")]
    [InlineData("Chat", "Rooms")]
    [InlineData("Chat", "Gateway")]
    [InlineData("Gateway", "Rooms")]
    [InlineData("Gateway", "Chat")]
    public void A_folder_does_not_name_another_features_namespace(string folder, string other)
    {
        string dir = Path.Combine(RepositoryRoot(), "src", "Chorus.Server", folder);
        var files = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        // A using of the namespace, or a name qualified by it (inside Chorus.Server, "Chat.X" resolves to Chorus.Server.Chat.X).
        var naming = new Regex($@"\busing\s+(static\s+)?Chorus\.Server\.{other}\b|(?<![\w.])(Chorus\.Server\.)?{other}\.[A-Z]", RegexOptions.CultureInvariant);
        var offenders = (from file in files
                         from line in File.ReadLines(file).Select((text, i) => (text, number: i + 1))
                         where naming.IsMatch(StripComment(line.text))
                         select $"{Path.GetRelativePath(dir, file)}:{line.number}: {line.text.Trim()}").ToList();
        Assert.True(offenders.Count == 0, $"src/Chorus.Server/{folder} names Chorus.Server.{other}:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_check_sees_a_qualified_name_and_a_using()
    {
        var naming = new Regex(@"\busing\s+(static\s+)?Chorus\.Server\.Chat\b|(?<![\w.])(Chorus\.Server\.)?Chat\.[A-Z]", RegexOptions.CultureInvariant);
        Assert.Matches(naming, "using Chorus.Server.Chat;");
        Assert.Matches(naming, "var s = sp.GetRequiredService<Chat.ChatService>();");
        Assert.Matches(naming, "Chorus.Server.Chat.ChatSessions x;");
        Assert.DoesNotMatch(naming, "ChatMessages.Send(); // ChatRoom.Members");
        Assert.DoesNotMatch(naming, StripComment("x = 1; // see Chat.ChatService"));
    }

    private static string StripComment(string line)
    {
        int comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment < 0 ? line : line[..comment];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Chorus.slnx not found above " + AppContext.BaseDirectory);
    }
}
