using Chorus.Protocol;
using Chorus.Server.Core;

namespace Chorus.Server.Tests;

/// <summary>
/// A connection without a socket: it keeps what is sent to it (decoded back into frames) with its delivery class.
/// With a capacity it drops like the gateway's queue: unreliable frames once half full, anything once full.
/// </summary>
public sealed class FakeConnection(uint appId = 1, string remoteAddress = "192.0.2.1", int capacity = int.MaxValue) : IClientConnection
{
    private static long s_nextId;
    private readonly List<(Frame Frame, Delivery Delivery, EncodedFrame Bytes)> _sent = [];
    private string? _userId;

    /// <inheritdoc />
    public long Id { get; } = Interlocked.Increment(ref s_nextId);
    /// <inheritdoc />
    public uint AppId { get; } = appId;
    /// <inheritdoc />
    public string RemoteAddress { get; } = remoteAddress;
    /// <inheritdoc />
    public string? UserId => _userId;

    /// <summary>Frames refused because the fake queue was too full.</summary>
    public int Dropped { get; private set; }

    /// <inheritdoc />
    public bool TryBindUser(string userId)
    {
        string? bound = Interlocked.CompareExchange(ref _userId, userId, null);
        return bound is null || bound == userId;
    }

    /// <inheritdoc />
    public bool Send(EncodedFrame frame, Delivery delivery)
    {
        lock (_sent)
        {
            int limit = delivery == Delivery.Reliable ? capacity : capacity / 2;
            if (_sent.Count >= limit)
            {
                Dropped++;
                return false;
            }
            _sent.Add((Decode(frame), delivery, frame));
            return true;
        }
    }

    /// <summary>Everything sent so far, oldest first.</summary>
    public IReadOnlyList<(Frame Frame, Delivery Delivery, EncodedFrame Bytes)> Sent
    {
        get { lock (_sent) return [.. _sent]; }
    }

    /// <summary>The frames of one op sent so far.</summary>
    public IReadOnlyList<Frame> Of(string op) => [.. Sent.Where(s => s.Frame.Op == op).Select(s => s.Frame)];

    /// <summary>Forgets what was sent.</summary>
    public void Clear()
    {
        lock (_sent) _sent.Clear();
    }

    /// <summary>Strips the WebSocket header the gateway writes in front of the JSON and parses the frame.</summary>
    public static Frame Decode(EncodedFrame frame)
    {
        var bytes = frame.Bytes;
        int header = bytes[1] switch { 126 => 4, 127 => 10, _ => 2 };
        return Frame.TryParse(bytes.AsSpan(header)) ?? throw new InvalidOperationException("not a protocol frame");
    }
}
