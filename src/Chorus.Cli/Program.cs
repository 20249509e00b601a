using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Chorus.Cli.Commands;

var root = new RootCommand("Chorus: self-hosted real-time room signaling and chat server.")
{
    ServeCommand.Create(),
    TokenCommand.Create(),
    ListenCommand.Create(),
    CallCommand.Create(),
    ChatCommand.Create(),
    BenchCommand.Create(),
};
var parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
{
    // Bad arguments: one line on stderr and exit code 2, for every command (the README's promise).
    Console.Error.WriteLine(CommandLineErrors.Describe(parse));
    return 2;
}
if (parse.Action is HelpAction && parse.CommandResult.Command.Name == "serve")
{
    // serve takes its settings as unmatched tokens, which the default usage line shows as "[[--] <additional arguments>...]]".
    var help = new StringWriter();
    int code = await parse.InvokeAsync(new InvocationConfiguration { Output = help });
    Console.Out.Write(help.ToString().Replace("[[--] <additional arguments>...]]", "[--Chorus:KEY=VALUE]... [--Logging:KEY=VALUE]...", StringComparison.Ordinal));
    return code;
}
return await parse.InvokeAsync();
