namespace Chorus.Server.Gateway;

/// <summary>
/// Frames the gateway has received from and written to clients since the server started, for the admin page's
/// message rates. Cheap: one <see cref="Interlocked"/> add per received frame and one per socket write (a batch of
/// frames), never a lock. Rates are computed from samples taken when they are read (<see cref="Sample"/>).
/// </summary>
public sealed class GatewayCounters
{
    private long _received;
    private long _sent;
    private readonly Lock _samplesLock = new();
    private readonly Queue<(long Ticks, long Received, long Sent)> _samples = new();
    private readonly TimeProvider _time;

    /// <summary>How far back the rates look: the per-second rates are averaged over at most this long.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    /// <summary>Creates the counters.</summary>
    public GatewayCounters(TimeProvider time)
    {
        _time = time;
        _samples.Enqueue((time.GetTimestamp(), 0, 0));
    }

    /// <summary>Frames received from clients (every complete frame read, answered or not).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Frames written to clients.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Counts one received frame.</summary>
    public void AddReceived() => Interlocked.Increment(ref _received);

    /// <summary>Counts <paramref name="frames"/> frames written.</summary>
    public void AddSent(int frames)
    {
        if (frames > 0) Interlocked.Add(ref _sent, frames);
    }

    /// <summary>
    /// The totals now and the rates (frames per second) over the last <see cref="RateWindow"/> (or since the first
    /// sample, when the server is younger). Each call keeps a sample, at most one per 250 ms, for later calls.
    /// </summary>
    public (long Received, long Sent, double ReceivedPerSecond, double SentPerSecond) Sample()
    {
        long now = _time.GetTimestamp();
        long received = Received, sent = Sent;
        lock (_samplesLock)
        {
            // The oldest sample still inside the window is the base; older ones are dropped (one is kept at least).
            while (_samples.Count > 1 && _time.GetElapsedTime(_samples.ElementAt(1).Ticks, now) >= RateWindow) _samples.Dequeue();
            var (baseTicks, baseReceived, baseSent) = _samples.Peek();
            var last = _samples.Last();
            if (_time.GetElapsedTime(last.Ticks, now) >= TimeSpan.FromMilliseconds(250) && _samples.Count < 64) _samples.Enqueue((now, received, sent));
            double seconds = _time.GetElapsedTime(baseTicks, now).TotalSeconds;
            if (seconds <= 0) return (received, sent, 0, 0);
            return (received, sent, (received - baseReceived) / seconds, (sent - baseSent) / seconds);
        }
    }
}
