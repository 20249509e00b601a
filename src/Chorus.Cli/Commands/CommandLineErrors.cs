using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Chorus.Cli.Commands;

/// <summary>Argument errors as one plain line, and number parsers whose errors name the option and the range (not a .NET type).</summary>
internal static class CommandLineErrors
{
    /// <summary>The parse errors as one line: <c>chorus COMMAND: ERROR; ERROR (see chorus COMMAND --help)</c>.</summary>
    public static string Describe(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is CommandResult c; r = c.Parent)
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        string command = string.Join(' ', ["chorus", .. names]);
        var messages = parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct();
        return $"{command}: {string.Join("; ", messages)} (see {command} --help)";
    }

    /// <summary>
    /// The one format of a refusal: <c>chorus COMMAND: PROBLEM (see chorus COMMAND --help)</c>; without the pointer to
    /// --help when <paramref name="seeHelp"/> is false (a problem that is not an argument's, such as a port in use).
    /// A trailing period of <paramref name="problem"/> is dropped.
    /// </summary>
    public static string Line(string commandName, string problem, bool seeHelp = true) =>
        seeHelp ? $"chorus {commandName}: {problem.TrimEnd('.')} (see chorus {commandName} --help)" : $"chorus {commandName}: {problem.TrimEnd('.')}";

    /// <summary>Writes <see cref="Line"/> to stderr and returns exit code 2.</summary>
    public static int Refuse(string commandName, string problem, bool seeHelp = true)
    {
        Console.Error.WriteLine(Line(commandName, problem, seeHelp));
        return 2;
    }

    /// <summary>The problem with a ServerSecret given as <c>--secret</c> (null when it is exactly 32 bytes, as a secret must be).</summary>
    public static string? SecretProblem(string secret)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(secret);
        return bytes == 32 ? null : $"--secret must be exactly 32 bytes, the app's ServerSecret (got {bytes})";
    }

    /// <summary>The problem with a UserId given as <c>--user</c> (null when it is not empty).</summary>
    public static string? UserProblem(string userId) => userId.Length == 0 ? "--user must not be empty" : null;

    /// <summary>The message of an <see cref="ArgumentException"/> without its " (Parameter 'x')" tail.</summary>
    public static string Plain(ArgumentException ex) => ex.Message.Split(" (Parameter")[0];

    /// <summary>Makes <paramref name="option"/> accept only whole numbers from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<uint> InRange(this Option<uint> option, uint min, uint max)
    {
        option.CustomParser = r => Read(r, min, max) is { } v ? (uint)v : 0;
        return option;
    }

    /// <inheritdoc cref="InRange(Option{uint}, uint, uint)"/>
    public static Option<int?> InRange(this Option<int?> option, int min, int max)
    {
        option.CustomParser = r => Read(r, min, max) is { } v ? (int)v : null;
        return option;
    }

    /// <inheritdoc cref="InRange(Option{uint}, uint, uint)"/>
    public static Option<long> InRange(this Option<long> option, long min, long max)
    {
        option.CustomParser = r => Read(r, min, max) ?? 0;
        return option;
    }

    private static long? Read(ArgumentResult result, long min, long max)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max) return value;
        string name = result.Parent is OptionResult o ? o.Option.Name : "the value";
        result.AddError(max == long.MaxValue
            ? $"{name} must be a whole number, at least {min} (got '{Shorten(text)}')"
            : $"{name} must be a whole number from {min} to {max} (got '{Shorten(text)}')");
        return null;
    }

    /// <summary>A user's text cut for an error line: at most <paramref name="max"/> characters, then "…".</summary>
    internal static string Shorten(string s, int max = 40) => s.Length <= max ? s : s[..max] + "…";
}
