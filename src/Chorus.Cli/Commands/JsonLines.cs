using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chorus.Cli.Commands;

/// <summary>Writes one JSON object per line to standard output, safely from any thread.</summary>
internal static class JsonLines
{
    private static readonly JsonSerializerOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Lock s_gate = new();

    public static void Write(JsonObject line)
    {
        string text = line.ToJsonString(s_options);
        lock (s_gate)
        {
            Console.Out.WriteLine(text);
            Console.Out.Flush();
        }
    }
}

/// <summary>Event lines held back until the first line (the login outcome) is printed, so that it always comes first.</summary>
internal sealed class HeldOutput
{
    private readonly Lock _gate = new();
    private List<JsonObject>? _held = [];
    private bool _closed;

    /// <summary>Prints an event line, or holds it until <see cref="Open"/>.</summary>
    public void Write(JsonObject line)
    {
        lock (_gate)
        {
            if (_closed) return;
            if (_held is not null) { _held.Add(line); return; }
        }
        JsonLines.Write(line);
    }

    /// <summary>Prints only <paramref name="last"/> (a failed login): what was held and anything written later is dropped.</summary>
    public void Close(JsonObject last)
    {
        lock (_gate)
        {
            JsonLines.Write(last);
            _held = [];
            _closed = true;
        }
    }

    /// <summary>Prints the first line, then what was held.</summary>
    public void Open(JsonObject first)
    {
        lock (_gate)
        {
            JsonLines.Write(first);
            foreach (var line in _held ?? []) JsonLines.Write(line);
            _held = null;
        }
    }
}
