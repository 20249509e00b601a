using Chorus.Protocol;

namespace Chorus.Protocol.Tests;

public class LimitsAndSignatureTests
{
    [Fact]
    public void Signature_matches_the_spec_worked_example()
    {
        Assert.Equal("43e5cfcca828314675f91b001390566a", ServerApiSignature.Compute(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943));
        Assert.True(ServerApiSignature.Matches(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943, "43E5CFCCA828314675F91B001390566A"));
        Assert.False(ServerApiSignature.Matches(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186944, "43e5cfcca828314675f91b001390566a"));
        Assert.Matches("^[0-9a-f]{16}$", ServerApiSignature.NewNonce());
    }

    [Fact]
    public void RoomId_of_128_bytes_with_every_allowed_character_is_valid()
    {
        string allowed = "abcxyzABCXYZ0189" + RoomLimits.RoomIdPunctuation;
        string roomId = string.Concat(Enumerable.Repeat(allowed, 10))[..128];
        Assert.Equal(0, RoomLimits.ValidateRoomId(roomId));
        Assert.Equal(0, RoomLimits.ValidateRoomId(RoomLimits.RoomIdPunctuation));
        Assert.Equal(24, RoomLimits.RoomIdPunctuation.Length);
        Assert.Equal(RoomErrorCodes.RoomIdTooLong, RoomLimits.ValidateRoomId(roomId + "a"));
    }

    [Theory]
    [InlineData("room 1")]
    [InlineData("room?")]
    [InlineData("room\"")]
    [InlineData("rööm")]
    [InlineData("a|b")]
    [InlineData("a:b")]
    public void RoomId_with_a_disallowed_character_is_invalid(string roomId) =>
        Assert.Equal(RoomErrorCodes.RoomIdInvalid, RoomLimits.ValidateRoomId(roomId));

    [Fact]
    public void Empty_ids_and_content_have_their_own_codes()
    {
        Assert.Equal(RoomErrorCodes.RoomIdEmpty, RoomLimits.ValidateRoomId(""));
        Assert.Equal(RoomErrorCodes.UserIdEmpty, RoomLimits.ValidateUserId(""));
        Assert.Equal(RoomErrorCodes.ContentEmpty, RoomLimits.ValidateContent(""));
        Assert.Equal(RoomErrorCodes.UserIdTooLong, RoomLimits.ValidateUserId(new string('u', 65)));
        Assert.Equal(0, RoomLimits.ValidateUserId(new string('u', 64)));
    }

    [Fact]
    public void Content_limit_counts_utf8_bytes()
    {
        Assert.Equal(0, RoomLimits.ValidateContent(new string('x', 1024)));
        Assert.Equal(RoomErrorCodes.ContentTooLong, RoomLimits.ValidateContent(new string('x', 1025)));
        Assert.Equal(0, RoomLimits.ValidateContent(new string('é', 512)));       // 1024 bytes
        Assert.Equal(RoomErrorCodes.ContentTooLong, RoomLimits.ValidateContent(new string('é', 512) + "x"));
    }

    [Fact]
    public void Target_list_limits()
    {
        Assert.Equal(0, RoomLimits.ValidateTargets(Enumerable.Range(0, 10).Select(i => $"u{i}").ToArray()));
        Assert.Equal(RoomErrorCodes.TooManyTargets, RoomLimits.ValidateTargets(Enumerable.Range(0, 11).Select(i => $"u{i}").ToArray()));
        Assert.Equal(RoomErrorCodes.TargetUserIdEmpty, RoomLimits.ValidateTargets([""]));
        Assert.Equal(RoomErrorCodes.TargetUserIdTooLong, RoomLimits.ValidateTargets([new string('u', 65)]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"op\"")]
    [InlineData("{\"op\":5}")]
    [InlineData("{\"rid\":\"x\"}")]
    [InlineData("{\"op\":\"login\"")]
    [InlineData("nul")]
    public void Malformed_frames_parse_to_null(string text) =>
        Assert.Null(Frame.TryParse(System.Text.Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Frame_round_trips_and_omits_absent_fields()
    {
        var frame = new Frame { Op = Ops.CustomCommand, Rid = 7, RoomId = "r", Content = "hi", ToUserIds = ["a", "b"] };
        string json = System.Text.Encoding.UTF8.GetString(frame.ToUtf8Bytes());
        Assert.Equal("{\"op\":\"customCommand\",\"rid\":7,\"roomId\":\"r\",\"content\":\"hi\",\"toUserIds\":[\"a\",\"b\"]}", json);
        var back = Frame.TryParse(frame.ToUtf8Bytes())!;
        Assert.Equal(["a", "b"], back.ToUserIds!);
    }
}
