using System.CommandLine;
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
return await parse.InvokeAsync();
