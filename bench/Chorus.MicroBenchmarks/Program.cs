using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Chorus.Protocol;
using Chorus.Server.Gateway;
using Chorus.Server.Core;

// dotnet run -c Release --project bench/Chorus.MicroBenchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(EncodingBenchmarks).Assembly).Run(args);

/// <summary>Encoding one broadcast frame, WebSocket header included: done once per message, whatever the room size.</summary>
[MemoryDiagnoser]
public class EncodingBenchmarks
{
    private readonly Frame _broadcast = new()
    {
        Op = Ops.Broadcast, RoomId = "room-42", FromUserId = "publisher", FromUserName = "Publisher",
        Content = new string('x', 100), MessageId = 7_355_212_585_197_568, SendTime = 1_795_706_197_555,
    };

    [Benchmark]
    public EncodedFrame EncodeBroadcast() => EncodedFrame.From(_broadcast);

    [Benchmark]
    public Frame? ParseRequest() => Frame.TryParse("""{"op":"broadcast","rid":12,"roomId":"room-42","content":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"""u8);
}

/// <summary>The per-recipient part of a fan-out: the same encoded bytes into every recipient's send queue.</summary>
[MemoryDiagnoser]
[InvocationCount(256)] // fresh queues each iteration hold all 256 messages without reaching their drop limit
public class FanOutBenchmarks
{
    private SendQueue[] _queues = [];
    private EncodedFrame _frame;

    [Params(500, 2000)]
    public int Recipients { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _queues = Enumerable.Range(0, Recipients).Select(_ => new SendQueue(1024)).ToArray(); // unreliable limit: 512
        _frame = EncodedFrame.FromPayload(new byte[150]);
    }

    [Benchmark]
    public int EnqueueToEveryRecipient()
    {
        int accepted = 0;
        foreach (var q in _queues)
            if (q.Enqueue(_frame, reliable: false)) accepted++;
        return accepted;
    }
}
