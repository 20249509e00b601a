// The connection abstraction (IClientConnection, EncodedFrame, Delivery) is used by every contract here.
global using Chorus.Server.Core;
