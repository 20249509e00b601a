using System.Text;
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
        foreach (var line in lines) _ = Frame.TryParse(Encoding.UTF8.GetBytes(line));
    }

    [Fact]
    public void Corpus_tokens_never_verify()
    {
        foreach (var line in File.ReadAllLines(Path.Combine(CorpusDirectory, "tokens.txt")))
            Assert.NotEqual(Token04Status.Valid, Token04.Verify(line, 1, "u", Secret, DateTimeOffset.UtcNow).Status);
    }

    [Fact]
    public void Random_bytes_never_crash_the_frame_parser() =>
        Gen.Byte.Array[0, 300].Sample(bytes => { _ = Frame.TryParse(bytes); }, iter: Iter(20_000));

    [Fact]
    public void Mutated_valid_frames_never_crash_the_frame_parser()
    {
        byte[] seed = Encoding.UTF8.GetBytes("""{"op":"sendMessage","rid":4,"convType":0,"convId":"bob","message":{"type":1,"text":"hi","localMessageId":5},"toUserIds":["a"]}""");
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte, Gen.Int[1, 4]).Array[1, 6].Sample(mutations =>
        {
            byte[] copy = (byte[])seed.Clone();
            foreach (var (at, value, _) in mutations) copy[at] = value;
            _ = Frame.TryParse(copy);
        }, iter: Iter(20_000));
    }

    [Fact]
    public void Frames_round_trip()
    {
        var genFrame = Gen.Select(Gen.OneOf(Ops.Login, Ops.CustomCommand, Ops.Broadcast, Ops.SendMessage), Gen.Long, Gen.String, Gen.String.Null(),
            Gen.String.Array[0, 11], Gen.Int.Nullable())
            .Select((op, rid, roomId, content, targets, count) => new Frame { Op = op, Rid = rid, RoomId = roomId, Content = content, ToUserIds = targets, Count = count });
        genFrame.Sample(frame =>
        {
            var back = Frame.TryParse(frame.ToUtf8Bytes());
            Assert.NotNull(back);
            Assert.Equal(frame.ToUtf8Bytes(), back.ToUtf8Bytes());
        }, iter: Iter(5_000));
    }

    [Fact]
    public void Random_strings_never_verify_as_tokens() =>
        Gen.String.Sample(s =>
        {
            Assert.NotEqual(Token04Status.Valid, Token04.Verify(s, 1, "u", Secret, DateTimeOffset.UtcNow).Status);
            Assert.NotEqual(Token04Status.Valid, Token04.Verify("04" + s, 1, "u", Secret, DateTimeOffset.UtcNow).Status);
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
            // Only the plain expire prefix (bytes 0-7) is outside the cipher; changing it must not make a token valid for longer
            // than the ciphertext says, and the claims inside the cipher are what is checked.
            if (at >= 8) Assert.Equal(Token04Status.Invalid, status);
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
