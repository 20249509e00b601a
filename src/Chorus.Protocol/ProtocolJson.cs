using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Chorus.Protocol;

/// <summary>
/// Writes and reads the typed protocol records (<see cref="ProtocolMessage"/>) with the wire's settings:
/// null fields omitted, only the escapes JSON requires (non-ASCII and HTML-sensitive characters as themselves),
/// unknown properties ignored, property order irrelevant.
/// </summary>
public static class ProtocolJson
{
    private static readonly JsonSerializerOptions s_wireOptions = CreateWireOptions();

    private static JsonSerializerOptions CreateWireOptions()
    {
        var options = new JsonSerializerOptions(ProtocolMessageJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The options of the wire (source-generated metadata, relaxed escaping, null fields omitted); read-only.</summary>
    public static JsonSerializerOptions WireOptions => s_wireOptions;

    /// <summary>The wire metadata of record type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A protocol record type.</typeparam>
    public static JsonTypeInfo<T> TypeInfo<T>() where T : ProtocolMessage => WireTypeInfo<T>.Value;

    /// <summary>The wire metadata of record type <paramref name="type"/>.</summary>
    /// <param name="type">A protocol record type.</param>
    public static JsonTypeInfo TypeInfo(Type type) => s_wireOptions.GetTypeInfo(type);

    /// <summary>Serializes <paramref name="message"/> (by its runtime type) to UTF-8 JSON.</summary>
    /// <param name="message">The message.</param>
    public static byte[] ToUtf8Bytes(ProtocolMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return JsonSerializer.SerializeToUtf8Bytes(message, s_wireOptions.GetTypeInfo(message.GetType()));
    }

    /// <summary>Serializes <paramref name="message"/> to UTF-8 JSON with the metadata of <typeparamref name="T"/> (no type look-up).</summary>
    /// <typeparam name="T">The message's exact type.</typeparam>
    /// <param name="message">The message.</param>
    public static byte[] ToUtf8Bytes<T>(T message) where T : ProtocolMessage => JsonSerializer.SerializeToUtf8Bytes(message, WireTypeInfo<T>.Value);

    /// <summary>Writes <paramref name="message"/> (by its runtime type) to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer (its own options decide indentation and escaping).</param>
    /// <param name="message">The message.</param>
    public static void Write(Utf8JsonWriter writer, ProtocolMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        JsonSerializer.Serialize(writer, message, s_wireOptions.GetTypeInfo(message.GetType()));
    }

    /// <summary>Reads a <typeparamref name="T"/>; null for anything that is not a JSON object of its shape.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="utf8">The UTF-8 JSON.</param>
    public static T? TryRead<T>(ReadOnlySpan<byte> utf8) where T : ProtocolMessage => TryRead(utf8, WireTypeInfo<T>.Value);

    /// <summary>Reads a <typeparamref name="T"/> with the given metadata; null for anything that is not a JSON object of its shape.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="utf8">The UTF-8 JSON.</param>
    /// <param name="typeInfo">The metadata of <typeparamref name="T"/>.</param>
    public static T? TryRead<T>(ReadOnlySpan<byte> utf8, JsonTypeInfo<T> typeInfo) where T : ProtocolMessage
    {
        try { return JsonSerializer.Deserialize(utf8, typeInfo); }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>Reads the record <paramref name="typeInfo"/> describes; null for anything that is not a JSON object of its shape.</summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    /// <param name="typeInfo">The metadata of a protocol record type (from <see cref="ProtocolOps"/>).</param>
    public static ProtocolMessage? TryRead(ReadOnlySpan<byte> utf8, JsonTypeInfo typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        try { return JsonSerializer.Deserialize(utf8, typeInfo) as ProtocolMessage; }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>
    /// Finds the first top-level <c>op</c> of a JSON object, reading no further than it. False when the input is not a
    /// JSON object (as far as it was read) or has no string <c>op</c>.
    /// </summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    /// <param name="op">The op, UTF-8 encoded and unescaped in <paramref name="buffer"/>.</param>
    /// <param name="buffer">Room for the op; an op longer than it is not found (ops are short ASCII names).</param>
    public static bool TryReadOp(ReadOnlySpan<byte> utf8, out ReadOnlySpan<char> op, Span<char> buffer)
    {
        op = default;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isOp = reader.ValueTextEquals("op"u8);
                if (!reader.Read()) return false;
                if (isOp)
                {
                    if (reader.TokenType != JsonTokenType.String) return false;
                    int written;
                    try { written = reader.CopyString(buffer); }
                    catch (ArgumentException) { return false; }
                    op = buffer[..written];
                    return true;
                }
                reader.Skip();
            }
            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return false; }
    }

    /// <summary>
    /// Finds the top-level <c>op</c> and <c>rid</c> of a JSON object (a client reading a frame: a <c>result</c> is read by
    /// the result record of the request its rid names). False when the input is not a JSON object or has no string
    /// <c>op</c>; <paramref name="rid"/> is null when absent or not an int64.
    /// </summary>
    /// <param name="utf8">The UTF-8 JSON.</param>
    /// <param name="buffer">Room for the op; an op longer than it is not found.</param>
    /// <param name="op">The op, unescaped in <paramref name="buffer"/>.</param>
    /// <param name="rid">The rid, if any.</param>
    public static bool TryReadOpAndRid(ReadOnlySpan<byte> utf8, Span<char> buffer, out ReadOnlySpan<char> op, out long? rid)
    {
        op = default;
        rid = null;
        bool found = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isOp = reader.ValueTextEquals("op"u8), isRid = !isOp && reader.ValueTextEquals("rid"u8);
                if (!reader.Read()) return false;
                if (isOp && reader.TokenType == JsonTokenType.String)
                {
                    int written;
                    try { written = reader.CopyString(buffer); }
                    catch (ArgumentException) { return false; }
                    op = buffer[..written];
                    found = true;
                }
                else if (isRid && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value)) rid = value;
                else reader.Skip();
                if (found && rid is not null) return true;
            }
            return found;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return found; }
    }

    private static class WireTypeInfo<T> where T : ProtocolMessage
    {
        public static readonly JsonTypeInfo<T> Value = (JsonTypeInfo<T>)s_wireOptions.GetTypeInfo(typeof(T));
    }
}
