using System.Buffers;

namespace Chorus.Server.Gateway;

/// <summary>
/// A growable byte buffer whose storage is rented from <see cref="ArrayPool{T}.Shared"/> on the first write and
/// returned by <see cref="Release"/>, so that a connection holds no buffer between batches. Not thread-safe.
/// </summary>
internal sealed class PooledByteBuffer
{
    private const int InitialBytes = 4 * 1024;
    private byte[]? _array;
    private int _written;

    /// <summary>Bytes written since the last <see cref="Release"/>.</summary>
    public int WrittenCount => _written;

    /// <summary>The bytes written.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, _written);

    /// <summary>Appends <paramref name="bytes"/>, renting a larger array when needed.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        int needed = _written + bytes.Length;
        if (_array is null || needed > _array.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(InitialBytes, (_array?.Length ?? 0) * 2)));
            if (_array is not null)
            {
                _array.AsSpan(0, _written).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_array);
            }
            _array = larger;
        }
        bytes.CopyTo(_array.AsSpan(_written));
        _written = needed;
    }

    /// <summary>Forgets the written bytes and returns the storage to the pool.</summary>
    public void Release()
    {
        if (_array is not null) ArrayPool<byte>.Shared.Return(_array);
        _array = null;
        _written = 0;
    }
}
