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
