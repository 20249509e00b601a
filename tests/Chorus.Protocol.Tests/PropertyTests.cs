using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using Chorus.Protocol;

namespace Chorus.Protocol.Tests;

/// <summary>
/// Property tests over every parser that reads bytes from the network (a fuzzer's job where one cannot run in CI):
/// random and mutated input never throws, never validates what it should not, and round-trips what it should.
/// Iteration counts are bounded so the pass takes seconds; the checked-in corpus in tests/corpus is replayed first.
/// </summary>
public partial class PropertyTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";

    /// <summary>CHORUS_FUZZ_SCALE multiplies every iteration count (bench/fuzz-long.sh uses it for long runs).</summary>
    private static readonly long Scale = long.TryParse(Environment.GetEnvironmentVariable("CHORUS_FUZZ_SCALE"), out long s) && s > 0 ? s : 1;

    private static long Iter(long n) => n * Scale;
    private static readonly string CorpusDirectory = FindCorpus();

    private static string FindCorpus()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "corpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/corpus not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Corpus_frames_parse_without_throwing()
    {
        var lines = File.ReadAllLines(Path.Combine(CorpusDirectory, "frames.txt"));
        Assert.True(lines.Length >= 20);
        int parsed = 0;
        foreach (var line in lines) if (CheckParse(Encoding.UTF8.GetBytes(line))) parsed++;
        // The corpus holds both kinds: frames the parser takes and input it must refuse.
        Assert.InRange(parsed, 1, lines.Length - 1);
    }

    /// <summary>
    /// What the frame parser promises for any input: it never throws; it returns a frame only for a well-formed JSON
    /// object; and a frame it returns serializes to bytes that parse back to the same frame, field by field.
    /// Returns whether the input parsed.
    /// </summary>
    private static bool CheckParse(byte[] bytes)
    {
        CheckRecordParse(bytes);
        var frame = Frame.TryParse(bytes);
        if (frame is null) return false;
        using (var doc = JsonDocument.Parse(bytes)) // throws (failing the property) if the parser took malformed JSON
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        var again = Frame.TryParse(frame.ToUtf8Bytes());
        Assert.NotNull(again);
        AssertSameFields(frame, again, "frame");
        return true;
    }

    /// <summary>
    /// What the readers the server and the SDK use promise for any input (the op scan, then the op's own record
    /// reader, from <see cref="ProtocolOps"/>): they never throw; they return a record only for a well-formed JSON
    /// object; and a record they return writes bytes that read back to a record writing the same bytes.
    /// Returns whether the input read as a request.
    /// </summary>
    private static bool CheckRecordParse(byte[] bytes)
    {
        Span<char> buffer = stackalloc char[64];
        ProtocolJson.TryReadOpAndRid(bytes, buffer, out _, out _);
        if (ProtocolOps.TryReadEvent(bytes, out var eventOp) is { } ev)
        {
            byte[] written = ev.ToUtf8Bytes();
            Assert.Equal(written, eventOp!.TryRead(written)!.ToUtf8Bytes());
        }
        var request = ProtocolOps.TryReadRequest(bytes, out var op);
        if (request is null) return false;
        using (var doc = JsonDocument.Parse(bytes))
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        byte[] once = request.ToUtf8Bytes();
        var again = op!.TryReadRequest(once);
        Assert.NotNull(again);
        Assert.Equal(once, again.ToUtf8Bytes());
        return true;
    }

    [Fact]
    public void Corpus_tokens_never_verify()
    {
        foreach (var line in File.ReadAllLines(Path.Combine(CorpusDirectory, "tokens.txt")))
            Assert.Equal(Token04Status.Invalid, Token04.Verify(line, 1, "u", Secret, DateTimeOffset.UtcNow).Status);
    }

    [Fact]
    public void Random_bytes_never_crash_the_frame_parser()
    {
        // Random bytes: mostly refused. Bytes shaped like JSON objects (braces, quotes, digits) make some parse too.
        Gen.Byte.Array[0, 300].Sample(bytes => { CheckParse(bytes); }, iter: Iter(20_000));
        var jsonish = Gen.OneOf(Gen.Const("{"), Gen.Const("}"), Gen.Const("\"op\":"), Gen.Const("\"rid\":"), Gen.Const("\"toUserIds\":["),
            Gen.Const("]"), Gen.Const(","), Gen.Const("\"x\""), Gen.Const("1"), Gen.Const("null"), Gen.Const("\"\\u0000\""), Gen.Const("-9e99"))
            .Array[1, 12].Select(parts => Encoding.UTF8.GetBytes("{" + string.Concat(parts)));
        int parsed = 0;
        jsonish.Sample(bytes => { if (CheckParse(bytes)) Interlocked.Increment(ref parsed); }, iter: Iter(20_000));
        Assert.True(parsed > 0, "no JSON-shaped input parsed: the accepting path was not exercised");
    }

    [Fact]
    public void Mutated_valid_frames_never_crash_the_frame_parser()
    {
        int parsed = 0, refused = 0, records = 0;
        byte[] seed = Encoding.UTF8.GetBytes("""{"op":"sendMessage","rid":4,"convType":0,"convId":"bob","message":{"type":1,"text":"hi","localMessageId":5},"toUserIds":["a"]}""");
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte, Gen.Int[1, 4]).Array[1, 6].Sample(mutations =>
        {
            byte[] copy = (byte[])seed.Clone();
            foreach (var (at, value, _) in mutations) copy[at] = value;
            if (CheckParse(copy)) Interlocked.Increment(ref parsed); else Interlocked.Increment(ref refused);
            if (CheckRecordParse(copy)) Interlocked.Increment(ref records);
        }, iter: Iter(20_000));
        // Both outcomes happen: some mutations keep a valid frame, some break it; some still read as a sendMessage record.
        Assert.True(parsed > 0 && refused > 0, $"{parsed} parsed, {refused} refused");
        Assert.True(records > 0, "no mutation read as a request record: the records' accepting path was not exercised");
    }

    [Fact]
    public void Frames_round_trip()
    {
        // Every property of Frame (and of the objects inside it) is filled from two generated pools; when a pool runs
        // out the remaining fields stay null, so shrinking a failure leaves only the fields that matter.
        var genFrame = Gen.Select(Gen.Long.Array[0, 200], Gen.String.Array[0, 80])
            .Select((numbers, strings) => (Frame)Fill(typeof(Frame), new Draw([0, .. numbers], strings), depth: 0)!);
        int populated = 0;
        genFrame.Sample(frame =>
        {
            var back = Frame.TryParse(frame.ToUtf8Bytes());
            Assert.NotNull(back);
            AssertSameFields(frame, back, "frame");
            if (frame.Message is not null && frame.Users is { Length: > 0 }) Interlocked.Increment(ref populated);
        }, iter: Iter(5_000));
        Assert.True(populated > 0, "the generator never filled the nested fields");
    }

    [Fact]
    public void Round_trip_check_catches_a_field_the_serializer_drops()
    {
        // The comparison itself must be able to fail: a frame that lost one nested field is reported with its path.
        var original = new Frame { Op = "sendMessage", Message = new WireChatMessage { Text = "hi", LocalMessageId = 5 } };
        var lossy = new Frame { Op = "sendMessage", Message = new WireChatMessage { Text = "hi" } };
        var ex = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertSameFields(original, lossy, "frame"));
        Assert.Contains("frame.Message.LocalMessageId", ex.Message);
    }

    /// <summary>A cursor over generated values; null once a pool is used up.</summary>
    private sealed class Draw(long[] numbers, string[] strings)
    {
        private int _n, _s;
        public long? Number() => _n < numbers.Length ? numbers[_n++] : null;
        public string? Text() => _s < strings.Length ? strings[_s++] : null;
    }

    private static object? Fill(Type type, Draw draw, int depth)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying is not null || !type.IsValueType;
        type = underlying ?? type;
        if (type == typeof(string)) return draw.Text();
        long? n = draw.Number();
        if (n is not { } v) return nullable ? null : Activator.CreateInstance(type);
        if (type == typeof(long)) return v;
        if (type == typeof(int)) return (int)v;
        if (type == typeof(bool)) return (v & 1) == 0;
        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.GetValue((int)((ulong)v % (ulong)values.Length));
        }
        if (type.IsArray)
        {
            var array = Array.CreateInstance(type.GetElementType()!, depth > 2 ? 0 : (int)((ulong)v % 4));
            for (int i = 0; i < array.Length; i++) array.SetValue(Fill(type.GetElementType()!, draw, depth + 1) ?? Fill(type.GetElementType()!, new Draw([1], ["x"]), depth + 1), i);
            return array;
        }
        if (depth > 2) return null;
        // an object: positional records through their constructor, classes through their settable properties
        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p => Fill(p.ParameterType, draw, depth + 1)).ToArray();
        object instance = ctor.Invoke(args);
        foreach (var property in type.GetProperties().Where(p => p.CanWrite && p.SetMethod!.IsPublic && ctor.GetParameters().Length == 0))
            property.SetValue(instance, Fill(property.PropertyType, draw, depth + 1));
        return instance;
    }

    /// <summary>Compares two values property by property (arrays element by element); fails naming the first differing path.</summary>
    private static void AssertSameFields(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        Assert.True(type == actual.GetType(), $"{path}: type {type.Name} became {actual.GetType().Name}");
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal))
        {
            Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
            return;
        }
        if (expected is Array ea)
        {
            var aa = (Array)actual;
            Assert.True(ea.Length == aa.Length, $"{path}: length {ea.Length} became {aa.Length}");
            for (int i = 0; i < ea.Length; i++) AssertSameFields(ea.GetValue(i), aa.GetValue(i), $"{path}[{i}]");
            return;
        }
        foreach (var property in type.GetProperties().Where(p => p.GetIndexParameters().Length == 0))
            AssertSameFields(property.GetValue(expected), property.GetValue(actual), path + "." + property.Name);
    }

    [Fact]
    public void Random_strings_never_verify_as_tokens() =>
        Gen.String.Sample(s =>
        {
            Assert.Equal(Token04Status.Invalid, Token04.Verify(s, 1, "u", Secret, DateTimeOffset.UtcNow).Status);
            Assert.Equal(Token04Status.Invalid, Token04.Verify("04" + s, 1, "u", Secret, DateTimeOffset.UtcNow).Status);
        }, iter: Iter(20_000));

    [Fact]
    public void A_token_with_any_byte_changed_never_verifies()
    {
        string token = Token04.Generate(1, "u", Secret, 3600);
        byte[] record = Convert.FromBase64String(token[2..]);
        Gen.Select(Gen.Int[0, record.Length - 1], Gen.Byte[1, 255]).Sample((at, xor) =>
        {
            byte[] copy = (byte[])record.Clone();
            copy[at] ^= xor;
            var status = Token04.Verify("04" + Convert.ToBase64String(copy), 1, "u", Secret, DateTimeOffset.UtcNow).Status;
            // The plain expire prefix (bytes 0-7) is outside the cipher, but it must equal the encrypted expiry, so a change
            // anywhere makes the token invalid.
            Assert.Equal(Token04Status.Invalid, status);
        }, iter: Iter(5_000));
    }

    [Fact]
    public void RoomId_rule_matches_its_definition()
    {
        var allowed = AllowedRoomId();
        var chars = Gen.OneOf<char>(Gen.Char.AlphaNumeric, Gen.OneOf(RoomLimits.RoomIdPunctuation.ToCharArray()), Gen.Char);
        chars.Array[0, 140].Select(a => new string(a)).Sample(s =>
        {
            bool expected = s.Length > 0 && Encoding.UTF8.GetByteCount(s) <= 128 && allowed.IsMatch(s);
            Assert.Equal(expected, RoomLimits.ValidateRoomId(s) == 0);
        }, iter: Iter(20_000));
    }

    [GeneratedRegex(@"^[A-Za-z0-9~!@#$%^&*()_+=\-`;',.<>/\\]*$")]
    private static partial Regex AllowedRoomId();

    [Fact]
    public void A_wrong_signature_never_matches() =>
        Gen.Select(Gen.UInt, Gen.String, Gen.Long, Gen.String).Sample((appId, nonce, ts, signature) =>
        {
            string right = ServerApiSignature.Compute(appId, nonce, Secret, ts);
            Assert.Equal(signature.Equals(right, StringComparison.OrdinalIgnoreCase), ServerApiSignature.Matches(appId, nonce, Secret, ts, signature));
            Assert.True(ServerApiSignature.Matches(appId, nonce, Secret, ts, right));
        }, iter: Iter(5_000));
}
