// A benchmark peer: a plain ASP.NET Core SignalR hub, as its documentation shows it. JSON hub protocol, WebSockets
// transport only. Rooms are SignalR groups; a publish goes to the others in the group.
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddSignalR(); // the JSON hub protocol is the default and the only one registered
var app = builder.Build();
app.MapHub<RoomHub>("/hub", o => o.Transports = HttpTransportType.WebSockets);
await app.StartAsync();
Console.WriteLine($"url: {app.Urls.First()}"); // the load generator reads this line
await app.WaitForShutdownAsync();

/// <summary>Join a room; publish to the others in it.</summary>
internal sealed class RoomHub : Hub
{
    public Task Join(string room) => Groups.AddToGroupAsync(Context.ConnectionId, room);

    public Task Publish(string room, string payload) => Clients.OthersInGroup(room).SendAsync("msg", payload);
}
