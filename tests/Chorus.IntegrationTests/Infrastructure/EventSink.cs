using System.Threading.Channels;

namespace Chorus.IntegrationTests.Infrastructure;

/// <summary>Collects events of one kind so that a test can await them with a timeout.</summary>
public sealed class EventSink<T>
{
    private readonly Channel<T> _events = Channel.CreateUnbounded<T>();

    public void Handler(object? sender, T e) => _events.Writer.TryWrite(e);

    /// <summary>The next event; fails the test after <paramref name="timeout"/> (default 5 s).</summary>
    public async Task<T> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try { return await _events.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} event within {(timeout ?? TimeSpan.FromSeconds(5)).TotalSeconds} s"); }
    }

    /// <summary>The next event matching <paramref name="match"/>, skipping others.</summary>
    public async Task<T> NextAsync(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"no matching {typeof(T).Name} event in time");
            var e = await NextAsync(left);
            if (match(e)) return e;
        }
    }

    /// <summary>Asserts that no event arrives within <paramref name="quiet"/>.</summary>
    public async Task AssertNoneAsync(TimeSpan quiet)
    {
        await Task.Delay(quiet);
        Assert.False(_events.Reader.TryRead(out var e), $"unexpected {typeof(T).Name}: {e}");
    }

    public bool TryTake(out T? e) => _events.Reader.TryRead(out e);
}
