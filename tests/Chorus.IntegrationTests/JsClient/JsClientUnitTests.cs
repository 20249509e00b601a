using System.Text.RegularExpressions;

namespace Chorus.IntegrationTests.JsClient;

/// <summary>Runs the TypeScript client's own unit tests (<c>npm test</c> in clients/js: node's test runner) as part of
/// <c>dotnet test Chorus.slnx</c>.</summary>
[Collection(JsClientCollection.Name)]
public sealed partial class JsClientUnitTests
{
    [Fact]
    public async Task Npm_test_of_the_TypeScript_client_passes_with_more_than_zero_tests()
    {
        await JsPackage.EnsureBuiltAsync();
        var run = await JsPackage.RunAsync(JsPackage.Npm, ["test"], JsPackage.Directory, TimeSpan.FromMinutes(5));

        // node --test ends with a summary: "# tests N", "# pass N", "# fail N".
        var tests = TestsLine().Match(run.Stdout);
        var pass = PassLine().Match(run.Stdout);
        var fail = FailLine().Match(run.Stdout);
        Assert.True(run.ExitCode == 0 && tests.Success && fail.Success, $"`npm test` in clients/js failed (exit {run.ExitCode}):\n{run.Output}");
        int total = int.Parse(tests.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(total > 0, $"`npm test` ran no tests:\n{run.Output}");
        Assert.True(fail.Groups[1].Value == "0", $"`npm test` reported failures:\n{run.Output}");
        Assert.Equal(tests.Groups[1].Value, pass.Groups[1].Value);
    }

    [GeneratedRegex(@"^# tests (\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex TestsLine();

    [GeneratedRegex(@"^# pass (\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PassLine();

    [GeneratedRegex(@"^# fail (\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex FailLine();
}
