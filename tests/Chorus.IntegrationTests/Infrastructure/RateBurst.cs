using System.Diagnostics;

namespace Chorus.IntegrationTests.Infrastructure;

/// <summary>
/// A burst of calls that must all fall inside one window of a per-second limiter. On a loaded machine (the whole suite
/// runs its test assemblies in parallel on 2 cores) a burst can take longer than the window, the limiter refills
/// meanwhile, and the test would then measure something else than it claims. Such an attempt is thrown away, the window
/// is let pass, and the burst is run again (at most four times; then the test fails saying why).
/// </summary>
internal static class RateBurst
{
    public static async Task<List<T>> WithinOneWindowAsync<T>(int count, Func<int, int, Task<T>> call, TimeSpan? window = null)
    {
        var span = window ?? TimeSpan.FromSeconds(1);
        for (int attempt = 1; ; attempt++)
        {
            var results = new List<T>(count);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) results.Add(await call(attempt, i));
            if (clock.Elapsed < span * 0.8) return results;
            if (attempt == 4)
                throw new Xunit.Sdk.XunitException($"a burst of {count} calls took {clock.Elapsed.TotalMilliseconds:F0} ms four times, longer than the limiter's window ({span.TotalMilliseconds:F0} ms): the machine is too loaded to test this limit");
            await Task.Delay(span + TimeSpan.FromMilliseconds(200));
        }
    }
}
