using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Chorus.Protocol;

/// <summary>
/// Reading a request three ways: (a) today's one <see cref="Frame"/> class for every op; (b) the table of per-op readers
/// (<see cref="ProtocolOps.TryReadRequest"/>: the top-level op scanned with Utf8JsonReader, then the op's record read
/// from the same bytes); (c) System.Text.Json polymorphism with <c>op</c> as the discriminator and
/// AllowOutOfOrderMetadataProperties (types of this benchmark only). Writing a broadcast event: Frame against the record.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ProtocolReaderBenchmarks
{
    private static readonly byte[] s_customCommand =
        """{"op":"customCommand","rid":12,"roomId":"room-42","content":"{\"action\":\"mute\",\"target\":\"bob\",\"seconds\":60}","toUserIds":["bob","carol"]}"""u8.ToArray();

    private static readonly byte[] s_sendMessage =
        """{"op":"sendMessage","rid":13,"convType":0,"convId":"bob","message":{"localMessageId":42,"type":1,"text":"hi bob, are we still on for tomorrow at ten? é","extendedData":"{\"k\":1}","hasReceipt":true,"priority":2}}"""u8.ToArray();

    // The same request from a client that does not write op first (the SDK and zim.ts do).
    private static readonly byte[] s_sendMessageOpLast =
        """{"rid":13,"convType":0,"convId":"bob","message":{"localMessageId":42,"type":1,"text":"hi bob, are we still on for tomorrow at ten? é","extendedData":"{\"k\":1}","hasReceipt":true,"priority":2},"op":"sendMessage"}"""u8.ToArray();

    private readonly Frame _broadcastFrame = new()
    {
        Op = Ops.Broadcast, RoomId = "room-42", FromUserId = "publisher", FromUserName = "Publisher",
        Content = new string('x', 100), MessageId = 7_355_212_585_197_568, SendTime = 1_795_706_197_555,
    };

    private readonly BroadcastEvent _broadcastEvent = new()
    {
        RoomId = "room-42", FromUserId = "publisher", FromUserName = "Publisher",
        Content = new string('x', 100), MessageId = 7_355_212_585_197_568, SendTime = 1_795_706_197_555,
    };

    /// <summary>Every variant reads what it should and the writers agree, or the run stops.</summary>
    [GlobalSetup]
    public void CheckEveryVariantReadsTheRequest()
    {
        Require(CustomCommand_Frame() is { Op: Ops.CustomCommand, ToUserIds.Length: 2 }, "Frame customCommand");
        Require(CustomCommand_Table() is CustomCommandRequest { Rid: 12, ToUserIds.Length: 2 }, "table customCommand");
        Require(CustomCommand_Polymorphic() is PolyCustomCommand { Rid: 12, ToUserIds.Length: 2 }, "polymorphic customCommand");
        foreach (var (table, poly, what) in new[] { (SendMessage_Table(), SendMessage_Polymorphic(), "sendMessage"), (SendMessageOpLast_Table(), SendMessageOpLast_Polymorphic(), "sendMessage, op last") })
        {
            Require(table is SendMessageRequest { Rid: 13, Message.LocalMessageId: 42 }, "table " + what);
            Require(poly is PolySendMessage { Rid: 13, Message.LocalMessageId: 42 }, "polymorphic " + what);
        }
        Require(SendMessageOpLast_Frame() is { Op: Ops.SendMessage }, "Frame sendMessage, op last");
        Require(Broadcast_Frame().AsSpan().SequenceEqual(Broadcast_Record()) && Broadcast_Frame().AsSpan().SequenceEqual(Broadcast_RecordTyped()), "broadcast bytes");
    }

    private static void Require(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException("benchmark input not read as expected: " + what);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("read customCommand")]
    public Frame? CustomCommand_Frame() => Frame.TryParse(s_customCommand);

    [Benchmark, BenchmarkCategory("read customCommand")]
    public ProtocolRequest? CustomCommand_Table() => ProtocolOps.TryReadRequest(s_customCommand, out _);

    [Benchmark, BenchmarkCategory("read customCommand")]
    public PolymorphicRequest? CustomCommand_Polymorphic() => PolymorphicRequests.TryRead(s_customCommand);

    [Benchmark(Baseline = true), BenchmarkCategory("read sendMessage")]
    public Frame? SendMessage_Frame() => Frame.TryParse(s_sendMessage);

    [Benchmark, BenchmarkCategory("read sendMessage")]
    public ProtocolRequest? SendMessage_Table() => ProtocolOps.TryReadRequest(s_sendMessage, out _);

    [Benchmark, BenchmarkCategory("read sendMessage")]
    public PolymorphicRequest? SendMessage_Polymorphic() => PolymorphicRequests.TryRead(s_sendMessage);

    [Benchmark(Baseline = true), BenchmarkCategory("read sendMessage, op last")]
    public Frame? SendMessageOpLast_Frame() => Frame.TryParse(s_sendMessageOpLast);

    [Benchmark, BenchmarkCategory("read sendMessage, op last")]
    public ProtocolRequest? SendMessageOpLast_Table() => ProtocolOps.TryReadRequest(s_sendMessageOpLast, out _);

    [Benchmark, BenchmarkCategory("read sendMessage, op last")]
    public PolymorphicRequest? SendMessageOpLast_Polymorphic() => PolymorphicRequests.TryRead(s_sendMessageOpLast);

    [Benchmark(Baseline = true), BenchmarkCategory("write broadcast event")]
    public byte[] Broadcast_Frame() => _broadcastFrame.ToUtf8Bytes();

    [Benchmark, BenchmarkCategory("write broadcast event")]
    public byte[] Broadcast_Record() => _broadcastEvent.ToUtf8Bytes();

    [Benchmark, BenchmarkCategory("write broadcast event")]
    public byte[] Broadcast_RecordTyped() => ProtocolJson.ToUtf8Bytes(_broadcastEvent);
}

/// <summary>Reading with System.Text.Json polymorphism: the requests of this benchmark, flat, <c>op</c> the discriminator.</summary>
public static class PolymorphicRequests
{
    private static readonly JsonSerializerOptions s_options = new(PolymorphicJsonContext.Default.Options) { AllowOutOfOrderMetadataProperties = true };
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<PolymorphicRequest> s_typeInfo =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<PolymorphicRequest>)s_options.GetTypeInfo(typeof(PolymorphicRequest));

    /// <summary>Reads a request; null for anything that is not one (an unknown op included).</summary>
    public static PolymorphicRequest? TryRead(ReadOnlySpan<byte> utf8)
    {
        try { return JsonSerializer.Deserialize(utf8, s_typeInfo); }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }
}

/// <summary>A request of the polymorphic variant; as many derived types as the room ops plus chat's sendMessage.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(PolyLogin), "login")]
[JsonDerivedType(typeof(PolyLogout), "logout")]
[JsonDerivedType(typeof(PolyRenewToken), "renewToken")]
[JsonDerivedType(typeof(PolyCustomCommand), "customCommand")]
[JsonDerivedType(typeof(PolyBroadcast), "broadcast")]
[JsonDerivedType(typeof(PolyBarrage), "barrage")]
[JsonDerivedType(typeof(PolySetExtraInfo), "setExtraInfo")]
[JsonDerivedType(typeof(PolyPing), "ping")]
[JsonDerivedType(typeof(PolySendMessage), "sendMessage")]
[JsonDerivedType(typeof(PolyQueryHistory), "queryHistory")]
public abstract record PolymorphicRequest
{
    [JsonPropertyName("rid")] public long? Rid { get; set; }
}

public sealed record PolyLogin : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    [JsonPropertyName("userId")] public string? UserId { get; set; }
    [JsonPropertyName("userName")] public string? UserName { get; set; }
    [JsonPropertyName("token")] public string? Token { get; set; }
    [JsonPropertyName("maxMemberCount")] public int? MaxMemberCount { get; set; }
    [JsonPropertyName("userStatusNotify")] public bool? UserStatusNotify { get; set; }
}

public sealed record PolyLogout : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
}

public sealed record PolyRenewToken : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    [JsonPropertyName("token")] public string? Token { get; set; }
}

public sealed record PolyCustomCommand : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("toUserIds")] public string[]? ToUserIds { get; set; }
}

public sealed record PolyBroadcast : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
}

public sealed record PolyBarrage : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
}

public sealed record PolySetExtraInfo : PolymorphicRequest
{
    [JsonPropertyName("roomId")] public string? RoomId { get; set; }
    [JsonPropertyName("key")] public string? Key { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
}

public sealed record PolyPing : PolymorphicRequest;

public sealed record PolySendMessage : PolymorphicRequest
{
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    [JsonPropertyName("message")] public WireChatMessage? Message { get; set; }
}

public sealed record PolyQueryHistory : PolymorphicRequest
{
    [JsonPropertyName("count")] public int? Count { get; set; }
    [JsonPropertyName("convType")] public ConversationType? ConvType { get; set; }
    [JsonPropertyName("convId")] public string? ConvId { get; set; }
    [JsonPropertyName("nextSeq")] public long? NextSeq { get; set; }
    [JsonPropertyName("reverse")] public bool? Reverse { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PolymorphicRequest))]
public sealed partial class PolymorphicJsonContext : JsonSerializerContext;
