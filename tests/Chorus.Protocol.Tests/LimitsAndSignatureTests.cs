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

    /// <summary>Invisible and direction-changing characters named in issue 9, and the other control/format kinds.</summary>
    public static TheoryData<int> ForbiddenIdCharacters()
    {
        var data = new TheoryData<int>();
        foreach (int c in new[] { 0x00, 0x1F, 0x7F, 0x85, 0x9F, 0xAD, 0x061C, 0x180E, 0x2028, 0x2029, 0x2060, 0x2064, 0xFEFF, 0xFFF9, 0xFFFB, 0xFFFE, 0xFFFF, 0xFDD0, 0xE0001, 0xE007F, 0x1FFFE,
            // default-ignorable code points that are not format characters, and spaces other than U+0020 (the review's look-alikes)
            0x034F, 0x115F, 0x1160, 0x17B4, 0x180B, 0x3164, 0xFE00, 0xFE0F, 0xFFA0, 0xE0100, 0xE01EF,
            0x00A0, 0x1680, 0x2000, 0x200A, 0x202F, 0x205F, 0x3000 })
            data.Add(c);
        for (int c = 0x200B; c <= 0x200F; c++) data.Add(c);
        for (int c = 0x202A; c <= 0x202E; c++) data.Add(c);
        for (int c = 0x2066; c <= 0x2069; c++) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(ForbiddenIdCharacters))]
    public void UserId_with_an_invisible_control_or_bidi_character_is_invalid(int codePoint)
    {
        string c = char.ConvertFromUtf32(codePoint);
        Assert.Equal(RoomErrorCodes.UserIdInvalid, RoomLimits.ValidateUserId("ali" + c + "ce"));
        Assert.Equal(RoomErrorCodes.UserIdInvalid, RoomLimits.ValidateUserId(c));
        Assert.Equal(RoomErrorCodes.UserIdInvalid, RoomLimits.ValidateTargets(["bob", "ali" + c + "ce"]));
        Assert.False(ChatLimits.IsValidConversationId("ali" + c + "ce", ConversationType.Peer));
        Assert.False(ChatLimits.IsValidId("g" + c, ChatLimits.MaxGroupIdBytes));
        Assert.False(ChatLimits.IsValidId("r" + c, ChatLimits.MaxRoomIdBytes));
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("José")]
    [InlineData("用户一")]
    [InlineData("ユーザー")]
    [InlineData("مستخدم")]      // right-to-left letters are fine; only the invisible controls are not
    [InlineData("user 😀")]     // a surrogate pair
    [InlineData("a-b_c.d@e")]
    [InlineData("नमस्ते")]       // combining marks of a script are letters' parts, not invisible fillers
    [InlineData("ali\u0301ce")] // a combining accent is visible; IDs are compared by code point, not normalized
    public void UserId_with_visible_characters_of_any_script_is_valid(string userId) =>
        Assert.Equal(0, RoomLimits.ValidateUserId(userId));

    [Fact]
    public void UserId_with_an_unpaired_surrogate_is_invalid()
    {
        Assert.Equal(RoomErrorCodes.UserIdInvalid, RoomLimits.ValidateUserId("a\uD800b"));
        Assert.Equal(RoomErrorCodes.UserIdInvalid, RoomLimits.ValidateUserId("a\uDC00"));
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
