using System.CommandLine;
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
return await root.Parse(args).InvokeAsync();
