namespace Chorus.Server.Gateway;

/// <summary>
/// Frames the gateway has received from and written to clients since the server started, for the admin page's
/// message rates. Cheap: one <see cref="Interlocked"/> add per received frame and one per socket write (a batch of
/// frames), never a lock. A timer samples the totals once a second, so that the rates always cover the last
/// <see cref="RateWindow"/> however rarely they are read.
/// </summary>
public sealed class GatewayCounters : IDisposable
{
    /// <summary>How often the totals are sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);

    /// <summary>How far back the rates look: the per-second rates are averaged over at most this long.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private long _received;
    private long _sent;
    private readonly Lock _samplesLock = new();
    private readonly Queue<(long Ticks, long Received, long Sent)> _samples = new();
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    /// <summary>Creates the counters (and their sampling timer).</summary>
    public GatewayCounters(TimeProvider time)
    {
        _time = time;
        _samples.Enqueue((time.GetTimestamp(), 0, 0));
        _timer = time.CreateTimer(static state => ((GatewayCounters)state!).TakeSample(), this, SampleInterval, SampleInterval);
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

    private void TakeSample()
    {
        long now = _time.GetTimestamp();
        long received = Received, sent = Sent;
        lock (_samplesLock)
        {
            _samples.Enqueue((now, received, sent));
            // Keep the newest sample at least RateWindow old (the base of the next reads) and the ones after it.
            while (_samples.Count > 1 && _time.GetElapsedTime(_samples.ElementAt(1).Ticks, now) >= RateWindow) _samples.Dequeue();
        }
    }

    /// <summary>
    /// The totals now and the rates (frames per second) since the newest sample at least <see cref="RateWindow"/> old (or
    /// since the start, when the server is younger): samples are a second apart, so the rates cover the last 5-6 s.
    /// </summary>
    public (long Received, long Sent, double ReceivedPerSecond, double SentPerSecond) Sample()
    {
        long now = _time.GetTimestamp();
        long received = Received, sent = Sent;
        lock (_samplesLock)
        {
            // Samples come in time order: the base is the newest one at least RateWindow old, else the oldest.
            var (baseTicks, baseReceived, baseSent) = _samples.Peek();
            foreach (var s in _samples)
            {
                if (_time.GetElapsedTime(s.Ticks, now) < RateWindow) break;
                (baseTicks, baseReceived, baseSent) = s;
            }
            double seconds = _time.GetElapsedTime(baseTicks, now).TotalSeconds;
            if (seconds <= 0) return (received, sent, 0, 0);
            return (received, sent, (received - baseReceived) / seconds, (sent - baseSent) / seconds);
        }
    }

    /// <summary>Stops the sampling timer.</summary>
    public void Dispose() => _timer.Dispose();
}
