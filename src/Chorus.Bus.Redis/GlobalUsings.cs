global using Chorus.Server.Core;
global using Chorus.Server.Rooms;
