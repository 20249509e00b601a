// The connection abstraction (IClientConnection, EncodedFrame, Delivery) is used by every area of the server.
global using Chorus.Server.Core;
