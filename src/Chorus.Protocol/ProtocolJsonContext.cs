using System.Text.Json.Serialization;

namespace Chorus.Protocol;

/// <summary>Source-generated JSON metadata for protocol types.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Token04Claims))]
[JsonSerializable(typeof(RoomPrivilegePayload))]
[JsonSerializable(typeof(WireChatMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
