using System.Security.Cryptography;

namespace Chorus.Server.Core;

/// <summary>
/// This server's node number, put into the ids it makes up itself (broadcast MessageIds, server API RequestIds) so
/// that two nodes never issue the same id. Configured with <c>Chorus:NodeId</c> (0-1023, distinct per node when several
/// run), or drawn at random at start when not set (fine for one node; with several, configure it: random numbers may
/// collide).
/// </summary>
public sealed class NodeIdentity
{
    /// <summary>Bits of an id that hold the node number.</summary>
    public const int Bits = 10;

    /// <summary>The largest node number (1023).</summary>
    public const int MaxId = (1 << Bits) - 1;

    /// <summary>Uses <paramref name="configured"/>, or a random node number when it is null.</summary>
    public NodeIdentity(int? configured = null)
    {
        if (configured is < 0 or > MaxId) throw new ArgumentOutOfRangeException(nameof(configured), $"a node id is 0-{MaxId}");
        Id = configured ?? RandomNumberGenerator.GetInt32(MaxId + 1);
        IsConfigured = configured is not null;
    }

    /// <summary>The node number, 0-1023.</summary>
    public int Id { get; }

    /// <summary>True when the node number was configured rather than drawn.</summary>
    public bool IsConfigured { get; }

    /// <summary>
    /// Combines a per-node increasing sequence with the node number: <c>sequence &lt;&lt; 10 | node</c>. Ids of one node
    /// increase with the sequence, and ids of two nodes differ whatever their sequences.
    /// </summary>
    public long Compose(long sequence) => (sequence << Bits) | (long)Id;

    /// <summary>A server API RequestId: the node number (3 hex digits) then 13 random hex digits.</summary>
    public string NewRequestId()
    {
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        ulong r = BitConverter.ToUInt64(random) & 0x000F_FFFF_FFFF_FFFFUL; // 52 bits
        return $"{Id:x3}{r:x13}";
    }
}
