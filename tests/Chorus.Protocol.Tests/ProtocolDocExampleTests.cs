using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Chorus.Protocol.Tests;

/// <summary>
/// Every JSON example of docs/protocol.md round-trips through its typed record unchanged: the <c>→</c> requests and
/// <c>←</c> answers of its examples, the frames shown inline (the hello frame) and the message on the wire. A record
/// that lacks a documented field fails here.
/// </summary>
public partial class ProtocolDocExampleTests
{
    /// <summary>One example: where it is in the doc, its JSON, and the record type that reads it.</summary>
    public sealed record DocExample(int Line, string Json, Type RecordType)
    {
        /// <inheritdoc/>
        public override string ToString() => $"line {Line}: {Json}";
    }

    private static readonly Lazy<IReadOnlyList<DocExample>> s_examples = new(() => Extract(File.ReadAllLines(DocPath())));

    public static TheoryData<int> ExampleLines()
    {
        var data = new TheoryData<int>();
        foreach (var e in s_examples.Value) data.Add(e.Line);
        return data;
    }

    [Fact]
    public void The_doc_examples_are_found()
    {
        var examples = s_examples.Value;
        Assert.True(examples.Count >= 6, $"only {examples.Count} examples found in docs/protocol.md");
        Assert.Contains(examples, e => e.RecordType == typeof(HelloEvent));
        Assert.Contains(examples, e => e.RecordType == typeof(LoginResult));
        Assert.Contains(examples, e => e.RecordType == typeof(ChatMessageEvent));
    }

    [Theory]
    [MemberData(nameof(ExampleLines))]
    public void A_doc_example_round_trips_through_its_record(int line)
    {
        var example = s_examples.Value.Single(e => e.Line == line);
        byte[] utf8 = Encoding.UTF8.GetBytes(example.Json);
        var record = ProtocolJson.TryRead(utf8, ProtocolJson.TypeInfo(example.RecordType));
        Assert.NotNull(record);
        Assert.IsType(example.RecordType, record);
        byte[] written = record.ToUtf8Bytes();
        var expected = JsonNode.Parse(example.Json);
        var actual = JsonNode.Parse(written);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"docs/protocol.md line {line}\n  doc:    {expected!.ToJsonString()}\n  record: {actual!.ToJsonString()}");
        // And it is what Frame writes for the same input, byte for byte.
        Assert.Equal(Encoding.UTF8.GetString(Frame.TryParse(utf8)!.ToUtf8Bytes()), Encoding.UTF8.GetString(written));
    }

    [Fact]
    public void A_record_missing_a_documented_field_would_fail_the_round_trip()
    {
        // The comparison the theory makes, against a record that has no "count": the login result of the doc.
        var example = s_examples.Value.First(e => e.RecordType == typeof(LoginResult));
        var record = ProtocolJson.TryRead<LoginResult>(Encoding.UTF8.GetBytes(example.Json))!;
        Assert.NotNull(record.Count);
        var withoutCount = record with { Count = null };
        Assert.False(JsonNode.DeepEquals(JsonNode.Parse(example.Json), JsonNode.Parse(withoutCount.ToUtf8Bytes())));
    }

    /// <summary>The examples of the doc, with the record each is read by.</summary>
    private static List<DocExample> Extract(string[] lines)
    {
        var examples = new List<DocExample>();
        var requestOps = new Dictionary<long, string>(); // rid → op of the request above
        bool inFence = false;
        string? fenceLanguage = null;
        var fenced = new StringBuilder();
        int fenceStart = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            int number = i + 1;
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                if (!inFence)
                {
                    inFence = true;
                    fenceLanguage = line[3..].Trim();
                    fenced.Clear();
                    fenceStart = number + 1;
                }
                else
                {
                    inFence = false;
                    // A JSON block without an op is the message on the wire: it travels in a chatMessage event.
                    if (fenceLanguage == "json" && JsonNode.Parse(fenced.ToString()) is JsonObject block && !block.ContainsKey("op"))
                        examples.Add(new DocExample(fenceStart, new JsonObject { ["op"] = Ops.ChatMessage, ["message"] = block }.ToJsonString(), typeof(ChatMessageEvent)));
                }
                continue;
            }
            if (inFence)
            {
                fenced.AppendLine(lines[i]);
                if (line.StartsWith('→') || line.StartsWith('←'))
                {
                    string json = line[1..].Trim();
                    var frame = JsonNode.Parse(json)!.AsObject();
                    string op = (string)frame["op"]!;
                    long? rid = frame["rid"]?.GetValue<long>();
                    Type type;
                    if (line.StartsWith('→'))
                    {
                        var request = ProtocolOps.FindRequest(op) ?? throw new InvalidOperationException($"line {number}: no request op '{op}'");
                        if (rid is { } r) requestOps[r] = op;
                        type = request.RequestType.Type;
                    }
                    else if (op is Ops.Result or Ops.Pong)
                    {
                        string asked = rid is { } r && requestOps.TryGetValue(r, out var o) ? o : throw new InvalidOperationException($"line {number}: no request above with rid {rid}");
                        type = ProtocolOps.FindRequest(asked)!.ResultType.Type;
                    }
                    else type = (ProtocolOps.FindEvent(op) ?? throw new InvalidOperationException($"line {number}: no event '{op}'")).EventType.Type;
                    examples.Add(new DocExample(number, json, type));
                }
                continue;
            }
            // Frames shown inline, such as the hello frame; placeholders (rid N, "...") are not JSON and are skipped.
            foreach (Match m in InlineFrame().Matches(lines[i]))
            {
                JsonObject? frame;
                try { frame = JsonNode.Parse(m.Groups[1].Value) as JsonObject; }
                catch (JsonException) { continue; }
                if (frame?["op"]?.GetValue<string>() is not { } op) continue;
                var type = op is Ops.Result or Ops.Pong ? null : ProtocolOps.FindEvent(op)?.EventType.Type ?? ProtocolOps.FindRequest(op)?.RequestType.Type;
                if (type is null) throw new InvalidOperationException($"line {number}: no record for inline frame '{op}'");
                examples.Add(new DocExample(number, m.Groups[1].Value, type));
            }
        }
        return examples;
    }

    private static string DocPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx"))) return Path.Combine(dir.FullName, "docs", "protocol.md");
        throw new InvalidOperationException("no Chorus.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("`(\\{\"op\":[^`]*\\})`")]
    private static partial Regex InlineFrame();
}
