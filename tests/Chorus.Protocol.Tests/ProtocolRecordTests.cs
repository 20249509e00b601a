using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Chorus.Protocol.Tests;

/// <summary>
/// The typed records of <see cref="ProtocolOps"/> against <see cref="Frame"/>, the wire format they replace: each record,
/// fully populated, is the same bytes as the frame with the same fields, and a frame's JSON reads into it with the same
/// values. Together these keep the wire exactly as it is.
/// </summary>
public class ProtocolRecordTests
{
    /// <summary>Every concrete protocol record.</summary>
    public static TheoryData<string> RecordTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in AllRecordTypes()) data.Add(t.Name);
        return data;
    }

    private static IEnumerable<Type> AllRecordTypes() =>
        typeof(ProtocolMessage).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(ProtocolMessage)) && !t.IsAbstract).OrderBy(t => t.Name);

    private static Type RecordType(string name) => AllRecordTypes().Single(t => t.Name == name);

    private static readonly Dictionary<string, PropertyInfo> s_frameProperties = typeof(Frame).GetProperties()
        .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name);

    private static IEnumerable<(PropertyInfo Property, string JsonName)> WireProperties(Type type) => type.GetProperties()
        .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
        .Select(p => (p, p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name));

    [Fact]
    public void There_is_a_record_for_every_request_result_and_event_of_the_table()
    {
        var tabled = ProtocolOps.Requests.SelectMany(o => new[] { o.RequestType.Type, o.ResultType.Type })
            .Concat(ProtocolOps.Events.Select(e => e.EventType.Type)).ToHashSet();
        // Everything else is a record the table has no op for; only the envelope of an unknown request is that.
        Assert.Equal([typeof(RequestEnvelope)], AllRecordTypes().Where(t => !tabled.Contains(t)));
        Assert.True(AllRecordTypes().Count() > 60);
    }

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void Every_field_of_a_record_is_a_Frame_field_of_the_same_type(string typeName)
    {
        foreach (var (property, jsonName) in WireProperties(RecordType(typeName)))
        {
            Assert.True(s_frameProperties.TryGetValue(jsonName, out var frameProperty), $"{typeName}.{property.Name}: Frame has no '{jsonName}'");
            Assert.Equal(frameProperty.PropertyType, property.PropertyType);
        }
    }

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void A_populated_record_is_the_bytes_of_the_Frame_with_the_same_fields(string typeName)
    {
        var (record, frame) = Populated(RecordType(typeName));
        byte[] expected = frame.ToUtf8Bytes();
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(record.ToUtf8Bytes()));
        Assert.Equal(expected, record.ToUtf8Bytes());
        Assert.Equal(expected, ProtocolJson.ToUtf8Bytes(record));
    }

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void A_record_without_optional_fields_is_the_bytes_of_the_Frame_without_them(string typeName)
    {
        var record = (ProtocolMessage)Activator.CreateInstance(RecordType(typeName))!;
        record.Rid = 5;
        var frame = new Frame { Op = record.Op, Rid = 5 };
        Assert.Equal(frame.ToUtf8Bytes(), record.ToUtf8Bytes());
    }

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void A_Frame_reads_into_the_record_with_the_same_values(string typeName)
    {
        var type = RecordType(typeName);
        var (expected, _) = Populated(type);
        // Every field of Frame set: the ones the record does not have are ignored.
        var full = FullFrame(expected.Op);
        var read = ProtocolJson.TryRead(full.ToUtf8Bytes(), ProtocolJson.TypeInfo(type));
        Assert.NotNull(read);
        Assert.IsType(type, read);
        foreach (var (property, jsonName) in WireProperties(type))
            AssertSameValue(s_frameProperties[jsonName].GetValue(full), property.GetValue(read), $"{typeName}.{property.Name}");
    }

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void Property_order_on_the_wire_does_not_matter_when_reading(string typeName)
    {
        var type = RecordType(typeName);
        var (record, _) = Populated(type);
        var node = JsonNode.Parse(record.ToUtf8Bytes())!.AsObject();
        var reversed = new JsonObject(node.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())).ToList());
        var read = ProtocolJson.TryRead(Encoding.UTF8.GetBytes(reversed.ToJsonString()), ProtocolJson.TypeInfo(type));
        Assert.NotNull(read);
        Assert.Equal(record.ToUtf8Bytes(), read.ToUtf8Bytes());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"op\"")]
    [InlineData("{\"op\":\"login\",\"roomId\":5}")]
    [InlineData("{\"op\":\"login\"")]
    [InlineData("{\"op\":\"login\",\"rid\":\"x\"}")]
    public void Input_that_is_not_an_object_of_the_shape_reads_as_null_as_Frame_does(string json)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        Assert.Null(Frame.TryParse(utf8));
        Assert.Null(ProtocolJson.TryRead<LoginRequest>(utf8));
        Assert.Null(ProtocolOps.Login.Read(utf8));
    }

    [Fact]
    public void A_request_is_read_by_its_op_wherever_the_op_is()
    {
        var request = ProtocolOps.TryReadRequest("""{"rid":3,"message":{"op":"x","text":"hi","type":1},"convId":"bob","\u006fp":"sendMessage"}"""u8, out var op);
        Assert.Same(ProtocolOps.SendMessage, op);
        var send = Assert.IsType<SendMessageRequest>(request);
        Assert.Equal(3, send.Rid);
        Assert.Equal("bob", send.ConvId);
        Assert.Equal("hi", send.Message!.Text);
    }

    [Theory]
    [InlineData("""{"op":"noSuchOp","rid":1}""")]
    [InlineData("""{"rid":1}""")]
    [InlineData("""{"op":5,"rid":1}""")]
    [InlineData("""{"op":"result","rid":1}""")]
    [InlineData("""{"op":"userUpdate","rid":1}""")]
    [InlineData("""not json""")]
    public void A_frame_naming_no_request_op_reads_as_no_request(string json)
    {
        Assert.Null(ProtocolOps.TryReadRequest(Encoding.UTF8.GetBytes(json), out var op));
        Assert.Null(op);
    }

    [Theory]
    [InlineData("""{"op":"result","rid":7,"errorCode":0}""", "result", 7L)]
    [InlineData("""{"errorCode":0,"users":[{"rid":1,"op":"x"}],"rid":7,"op":"result"}""", "result", 7L)]
    [InlineData("""{"op":"userUpdate","roomId":"r1"}""", "userUpdate", null)]
    [InlineData("""{"op":"pong","rid":"7"}""", "pong", null)]
    public void A_client_finds_the_op_and_rid_of_a_frame(string json, string op, long? rid)
    {
        Span<char> buffer = stackalloc char[ProtocolOps.MaxOpLength];
        Assert.True(ProtocolJson.TryReadOpAndRid(Encoding.UTF8.GetBytes(json), buffer, out var found, out long? foundRid));
        Assert.Equal(op, found.ToString());
        Assert.Equal(rid, foundRid);
    }

    [Theory]
    [InlineData("""[{"op":"result","rid":7}]""")]
    [InlineData("""{"rid":7}""")]
    [InlineData("""{"op":null,"rid":7}""")]
    public void A_frame_without_an_op_has_none(string json)
    {
        Span<char> buffer = stackalloc char[ProtocolOps.MaxOpLength];
        Assert.False(ProtocolJson.TryReadOpAndRid(Encoding.UTF8.GetBytes(json), buffer, out _, out _));
    }

    [Fact]
    public void Requests_and_events_of_the_same_name_are_kept_apart()
    {
        foreach (string name in new[] { Ops.CustomCommand, Ops.Broadcast, Ops.Barrage })
        {
            var request = ProtocolOps.FindRequest(name);
            var evt = ProtocolOps.FindEvent(name);
            Assert.NotNull(request);
            Assert.NotNull(evt);
            Assert.NotEqual(request.RequestType.Type, evt.EventType.Type);
        }
        var received = ProtocolOps.TryReadEvent("""{"op":"broadcast","roomId":"r1","fromUserId":"bob","content":"hi","messageId":7,"sendTime":9}"""u8, out var op);
        Assert.Same(ProtocolOps.BroadcastEvent, op);
        Assert.Equal("bob", Assert.IsType<BroadcastEvent>(received).FromUserId);
        Assert.IsType<BroadcastRequest>(ProtocolOps.TryReadRequest("""{"op":"broadcast","rid":1,"roomId":"r1","content":"hi"}"""u8, out _));
    }

    [Fact]
    public void Every_op_of_Ops_is_in_the_table()
    {
        var names = typeof(Ops).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name != nameof(Ops.SubProtocol))
            .Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.True(names.Count > 50);
        var tabled = ProtocolOps.Requests.Select(o => o.Name).Concat(ProtocolOps.Events.Select(e => e.Name)).Concat(ProtocolOps.Requests.Select(o => o.ResultName)).ToHashSet();
        Assert.Equal([], names.Where(n => !tabled.Contains(n)).ToArray());
        Assert.Equal(ProtocolOps.Requests.Count, ProtocolOps.Requests.Select(o => o.Name).Distinct().Count());
        Assert.Equal(ProtocolOps.Events.Count, ProtocolOps.Events.Select(o => o.Name).Distinct().Count());
        foreach (var op in ProtocolOps.Requests)
        {
            Assert.Same(op, ProtocolOps.FindRequest(op.Name));
            Assert.Equal(op.Name, ((ProtocolMessage)op.RequestType.CreateObject!()).Op);
            Assert.Equal(op.ResultName, op.CreateResult(1).Op);
            Assert.IsType(op.ResultType.Type, op.CreateResult(1));
        }
        foreach (var e in ProtocolOps.Events)
        {
            Assert.Same(e, ProtocolOps.FindEvent(e.Name));
            Assert.Equal(e.Name, ((ProtocolMessage)e.EventType.CreateObject!()).Op);
        }
    }

    [Fact]
    public void A_success_and_a_refusal_echo_the_request_rid()
    {
        var request = new LoginRequest { Rid = 41, RoomId = "r1" };
        var ok = ProtocolOps.Login.Success(request);
        ok.RoomId = request.RoomId;
        Assert.Equal("""{"op":"result","rid":41,"errorCode":0,"roomId":"r1"}""", Encoding.UTF8.GetString(ok.ToUtf8Bytes()));
        var refused = ProtocolOps.Login.Refusal(request, RoomErrorCodes.TokenInvalid, "token is invalid");
        Assert.Equal($$"""{"op":"result","rid":41,"errorCode":{{RoomErrorCodes.TokenInvalid}},"error":"token is invalid"}""", Encoding.UTF8.GetString(refused.ToUtf8Bytes()));
        Assert.Equal("""{"op":"pong","rid":7}""", Encoding.UTF8.GetString(new PongResult { Rid = 7 }.ToUtf8Bytes()));
    }

    // ---- populating records and frames with the same values ----

    /// <summary>A record of <paramref name="type"/> with every field set, and the frame with the same fields.</summary>
    private static (ProtocolMessage Record, Frame Frame) Populated(Type type)
    {
        var record = (ProtocolMessage)Activator.CreateInstance(type)!;
        var frame = new Frame();
        foreach (var (property, jsonName) in WireProperties(type))
        {
            var frameProperty = s_frameProperties[jsonName];
            object? value = jsonName == "op" ? record.Op : SampleValue(frameProperty.PropertyType, jsonName);
            property.SetValue(record, value);
            frameProperty.SetValue(frame, value);
        }
        return (record, frame);
    }

    /// <summary>A frame with every field set (op as given).</summary>
    private static Frame FullFrame(string op)
    {
        var frame = new Frame();
        foreach (var (name, property) in s_frameProperties) property.SetValue(frame, name == "op" ? op : SampleValue(property.PropertyType, name));
        return frame;
    }

    /// <summary>A value of <paramref name="type"/> that differs per field and holds characters whose escaping matters.</summary>
    private static object SampleValue(Type type, string field)
    {
        int seed = field.Aggregate(17, (h, c) => h * 31 + c) & 0x7fff;
        string text = $"{field}-é<&>'\"\\\u2028😀\u0001";
        return type switch
        {
            _ when type == typeof(string) => text,
            _ when type == typeof(long?) => 7_355_212_585_197_568L + seed,
            _ when type == typeof(int?) => 1000 + seed,
            _ when type == typeof(bool?) => (seed & 1) == 0,
            _ when type == typeof(string[]) => new[] { text, "u2" },
            _ when type == typeof(long[]) => new[] { 7_355_212_585_197_568L + seed, 2L },
            _ when type == typeof(ConversationType?) => ConversationType.Group,
            _ when type == typeof(WireUser[]) => new[] { new WireUser("bob", "Bob é<>"), new WireUser("carol", "") },
            _ when type == typeof(WireChatMessage) => SampleMessage(seed),
            _ when type == typeof(WireChatMessage[]) => new[] { SampleMessage(seed), SampleMessage(seed + 1) },
            _ when type == typeof(WireConversation) => SampleConversation(seed),
            _ when type == typeof(WireConversation[]) => new[] { SampleConversation(seed), SampleConversation(seed + 1) },
            _ when type == typeof(WireGroup) => new WireGroup { GroupId = "g1", GroupName = "Group <1>", OwnerUserId = "alice", CreateTime = 1_795_706_197_555, MemberCount = 3 },
            _ => throw new InvalidOperationException($"no sample value for {type} ({field})"),
        };
    }

    private static WireChatMessage SampleMessage(int seed) => new()
    {
        MessageId = 7_355_212_585_197_568 + seed, LocalMessageId = 42, SenderUserId = "alice", ConversationId = "bob", ConversationType = ConversationType.Peer,
        Timestamp = 1_795_706_197_555, ConversationSeq = seed, OrderKey = seed, Type = ChatMessageType.Custom, Text = "hi <bob> é", SubType = 3,
        SearchedContent = "hi", ExtendedData = "{\"x\":1}", HasReceipt = true, ReceiptStatus = 1, Priority = 2, MentionedUserIds = ["bob"],
    };

    private static WireConversation SampleConversation(int seed) => new()
    {
        ConversationId = "bob", ConversationType = ConversationType.Peer, UnreadMessageCount = 3, LastMessage = SampleMessage(seed),
        MaxSeq = 9, NotificationStatus = 2, IsPinned = true, OrderKey = 1_795_706_197_555,
    };

    private static void AssertSameValue(object? expected, object? actual, string what)
    {
        Assert.NotNull(expected);
        Assert.True(actual is not null, $"{what} was not read");
        if (expected is Array array && array.GetType().GetElementType() is { } element && (element.IsPrimitive || element == typeof(string)))
            Assert.True(array.Cast<object>().SequenceEqual(((Array)actual).Cast<object>()), $"{what} differs");
        else if (expected is string or ValueType)
            Assert.True(expected.Equals(actual), $"{what}: expected {expected}, read {actual}");
        else // wire objects: the same JSON
            Assert.Equal(JsonSerializer.Serialize(expected, ProtocolJson.WireOptions.GetTypeInfo(expected.GetType())),
                JsonSerializer.Serialize(actual, ProtocolJson.WireOptions.GetTypeInfo(expected.GetType())));
    }
}
