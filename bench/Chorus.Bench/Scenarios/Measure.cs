using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Chorus.Bench.Scenarios;

/// <summary>What every scenario shares: connecting many clients, recording latencies, and the report.</summary>
internal static class Measure
{
    /// <summary>How many connections are opened at once.</summary>
    private const int ConnectConcurrency = 100;

    /// <summary>Connects <paramref name="count"/> clients, <see cref="ConnectConcurrency"/> at a time; client i joins <paramref name="roomOf"/>(i).</summary>
    public static Task<IBenchClient[]> ConnectManyAsync(IBenchTarget target, ServerProcess server, int count, Func<int, string> roomOf, Func<int, string> userOf, Func<int, Action<long>> onDeliveredOf) =>
        ConnectManyAsync(target, _ => server, count, roomOf, userOf, onDeliveredOf);

    /// <summary>As above, client i connecting to <paramref name="serverOf"/>(i) (one node of several).</summary>
    public static async Task<IBenchClient[]> ConnectManyAsync(IBenchTarget target, Func<int, ServerProcess> serverOf, int count, Func<int, string> roomOf, Func<int, string> userOf, Func<int, Action<long>> onDeliveredOf)
    {
        var clients = new IBenchClient[count];
        try
        {
            for (int i = 0; i < count; i += ConnectConcurrency)
                await Task.WhenAll(Enumerable.Range(i, Math.Min(ConnectConcurrency, count - i))
                    .Select(async n => clients[n] = await target.ConnectAsync(serverOf(n), roomOf(n), userOf(n), onDeliveredOf(n))));
            return clients;
        }
        catch
        {
            await DisposeAllAsync(clients);
            throw;
        }
    }

    /// <summary>Disposes every client that was connected.</summary>
    public static async Task DisposeAllAsync(IEnumerable<IAsyncDisposable?> clients)
    {
        foreach (var chunk in clients.Where(c => c is not null).Chunk(500))
            await Task.WhenAll(chunk.Select(async c =>
            {
                try { await c!.DisposeAsync(); } catch (Exception) { }
            }));
    }

    /// <summary>A payload of exactly <paramref name="bytes"/> ASCII bytes that starts with the current timestamp and ';'.</summary>
    public static string StampedPayload(int bytes)
    {
        string stamp = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture) + ";";
        return stamp + new string('x', bytes - stamp.Length);
    }

    /// <summary>Microseconds since the timestamp a <see cref="StampedPayload"/> starts with.</summary>
    public static long MicrosecondsSince(string payload)
    {
        long sentAt = long.Parse(payload.AsSpan(0, payload.IndexOf(';')), CultureInfo.InvariantCulture);
        return MicrosecondsSince(sentAt);
    }

    /// <summary>Microseconds since a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public static long MicrosecondsSince(long timestamp) => (Stopwatch.GetTimestamp() - timestamp) * 1_000_000 / Stopwatch.Frequency;

    /// <summary>A histogram of latencies up to 60 s, in microseconds, 3 significant digits.</summary>
    public static LongHistogram NewHistogram() => new(60_000_000, 3);

    /// <summary>Records into a histogram shared by several threads.</summary>
    public static void Record(LongHistogram histogram, long micros)
    {
        lock (histogram) histogram.RecordValue(Math.Clamp(micros, 0, 60_000_000));
    }

    /// <summary>The sum of per-thread histograms.</summary>
    public static LongHistogram Merge(IEnumerable<LongHistogram> histograms)
    {
        var total = NewHistogram();
        foreach (var h in histograms) lock (h) total.Add(h);
        return total;
    }
}

/// <summary>A Markdown table of one scenario, with the machine and the command that produced it.</summary>
internal sealed class ScenarioReport(string title, string description, string[] columns)
{
    private readonly List<string[]> _rows = [];
    private readonly List<string> _problems = [];
    private readonly List<string> _notes = [];

    public string Title => title;

    /// <summary>What went wrong in the run (a server that delivered nothing, say); a smoke run fails on any.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Notes a problem unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string problem)
    {
        if (!ok) _problems.Add(problem);
    }

    public void Add(params object[] cells) => _rows.Add(cells.Select(Format).ToArray());

    /// <summary>A line printed under the table (a breakdown that does not fit a column).</summary>
    public void Note(string text) => _notes.Add(text);

    public string ToMarkdown(string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## {title}");
        sb.AppendLine();
        sb.AppendLine(description);
        sb.AppendLine();
        sb.AppendLine($"Machine: {Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()} at the end. Loopback; load generator on the same machine.");
        sb.AppendLine($"Command: `{command}`");
        sb.AppendLine();
        sb.AppendLine("| " + string.Join(" | ", columns) + " |");
        sb.AppendLine("| " + string.Join(" | ", columns.Select((_, i) => i == 1 ? "---" : "---:")) + " |");
        foreach (var row in _rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        if (_notes.Count > 0)
        {
            sb.AppendLine();
            foreach (string note in _notes) sb.AppendLine("- " + note);
        }
        return sb.ToString();
    }

    private static string Format(object cell) => cell switch
    {
        double d when double.IsNaN(d) => "–",
        double d when Math.Abs(d) >= 100 => d.ToString("N0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.00", CultureInfo.InvariantCulture),
        long l => l.ToString("N0", CultureInfo.InvariantCulture),
        int i => i.ToString("N0", CultureInfo.InvariantCulture),
        _ => Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg (other work on the machine skews every figure).</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }

    private static string CpuModel()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"; }
        catch (IOException) { return "unknown CPU"; }
    }
}

/// <summary>Ratios of one figure against a reference row, formatted like 0.56×.</summary>
internal static class Ratio
{
    public static string Of(double value, double reference) => reference > 0 && !double.IsNaN(value) ? value / reference >= 10 ? $"{value / reference:F0}×" : $"{value / reference:F2}×" : "–";
}
