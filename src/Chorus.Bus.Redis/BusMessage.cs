using System.Buffers.Binary;
using System.Text;

namespace Chorus.Bus.Redis;

/// <summary>What a pub/sub message of the room bus carries (its first byte).</summary>
internal enum BusMessageKind : byte
{
    /// <summary>Room channel: a frame for the room's members (delivery, audience, excepted user, frame).</summary>
    Room = 1,
    /// <summary>Node channel: a frame for listed users of a room on that node.</summary>
    Users = 2,
    /// <summary>Node channel: kick listed users of a room (or every member) on that node.</summary>
    Kick = 3,
    /// <summary>Node channel: a login on that node was replaced by a login of its user on another node.</summary>
    Replaced = 4,
}

/// <summary>
/// The binary form of bus messages: a kind byte, then fields as length-prefixed UTF-8 strings (ushort length, 0xFFFF for
/// null) and ints, then, for deliveries, the frame exactly as the origin encoded it for the wire (so that a node copies it
/// once and queues the same bytes for each of its recipients).
/// </summary>
internal sealed class BusWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;

    public BusWriter(BusMessageKind kind) => _buffer[_length++] = (byte)kind;

    private Span<byte> Take(int n)
    {
        if (_length + n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        var span = _buffer.AsSpan(_length, n);
        _length += n;
        return span;
    }

    public BusWriter Byte(byte value)
    {
        Take(1)[0] = value;
        return this;
    }

    public BusWriter Int(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);
        return this;
    }

    public BusWriter String(string? value)
    {
        if (value is null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(Take(2), ushort.MaxValue);
            return this;
        }
        int n = Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteUInt16LittleEndian(Take(2), checked((ushort)n));
        Encoding.UTF8.GetBytes(value, Take(n));
        return this;
    }

    /// <summary>The message with <paramref name="tail"/> (an encoded frame) at its end.</summary>
    public byte[] ToArray(ReadOnlySpan<byte> tail = default)
    {
        var result = new byte[_length + tail.Length];
        _buffer.AsSpan(0, _length).CopyTo(result);
        tail.CopyTo(result.AsSpan(_length));
        return result;
    }
}

/// <summary>Reads a message written by <see cref="BusWriter"/>.</summary>
internal ref struct BusReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _data = data;

    public BusMessageKind Kind() => (BusMessageKind)Byte();

    public byte Byte()
    {
        byte b = _data[0];
        _data = _data[1..];
        return b;
    }

    public int Int()
    {
        int v = BinaryPrimitives.ReadInt32LittleEndian(_data);
        _data = _data[4..];
        return v;
    }

    public string? String()
    {
        ushort n = BinaryPrimitives.ReadUInt16LittleEndian(_data);
        _data = _data[2..];
        if (n == ushort.MaxValue) return null;
        string s = Encoding.UTF8.GetString(_data[..n]);
        _data = _data[n..];
        return s;
    }

    /// <summary>The rest: an encoded frame, copied once for this node's recipients.</summary>
    public readonly EncodedFrame Frame() => new(_data.ToArray());
}
