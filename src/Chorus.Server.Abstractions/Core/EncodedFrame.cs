using System.Buffers.Binary;
using Chorus.Protocol;

namespace Chorus.Server.Core;

/// <summary>
/// A protocol frame encoded once for the wire, WebSocket framing included (an unmasked text frame), so that a fan-out
/// hands the very same bytes to every recipient's queue and the writer only copies them into its batch.
/// </summary>
public readonly record struct EncodedFrame(byte[] Bytes)
{
    /// <summary>Encodes a protocol message: JSON, then the WebSocket header in front of it.</summary>
    public static EncodedFrame From<TMessage>(TMessage message) where TMessage : ProtocolMessage => FromPayload(ProtocolJson.ToUtf8Bytes(message));

    /// <summary>Wraps an already-encoded JSON payload in a WebSocket text frame header.</summary>
    public static EncodedFrame FromPayload(ReadOnlySpan<byte> payload)
    {
        int header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var bytes = new byte[header + payload.Length];
        bytes[0] = 0x81; // FIN + text
        if (header == 2) bytes[1] = (byte)payload.Length;
        else if (header == 4)
        {
            bytes[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            bytes[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(2), (ulong)payload.Length);
        }
        payload.CopyTo(bytes.AsSpan(header));
        return new EncodedFrame(bytes);
    }
}
