using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Chorus.Protocol;
using Chorus.Server.Gateway;
using Chorus.Server.Auth;
using Chorus.Server.Core;
using Chorus.Server.Rooms;

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
    public EncodedFrame EncodeBroadcast() => EncodedFrame.FromPayload(_broadcast.ToUtf8Bytes());

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

/// <summary>
/// The same per-recipient enqueue as <see cref="FanOutBenchmarks"/>, but through the room core's delivery seam
/// (<see cref="IRoomLifetimeManager.SendToRoom"/>: room lookup, member snapshot, sender skipped, one interface call per
/// recipient). Compare with <see cref="FanOutBenchmarks.EnqueueToEveryRecipient"/> of the same size.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(256)]
public class RoomFanOutBenchmarks
{
    private IRoomLifetimeManager _rooms = null!;
    private EncodedFrame _frame;

    [Params(500, 2000)]
    public int Recipients { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _rooms = new InProcessRoomLifetimeManager(new RoomRegistry());
        for (int i = 0; i <= Recipients; i++) // the sender plus the recipients
        {
            var connection = new QueueConnection(new SendQueue(1024));
            string userId = i == 0 ? "sender" : "u" + i;
            _rooms.JoinAsync(new RoomJoinRequest(connection, "room-42", userId, userId, 0, 0),
                () => new Room(1, "room-42", 0, new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1))),
                r => new RoomMember(r, connection, userId, userId, 0, true, long.MaxValue,
                    new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)), new SlidingWindowLimiter(10, TimeSpan.FromSeconds(1)))).AsTask().GetAwaiter().GetResult();
        }
        _frame = EncodedFrame.FromPayload(new byte[150]);
    }

    /// <summary>What the room core did before the seam: its own loop over the member snapshot, concrete queue, no interface.</summary>
    [Benchmark(Baseline = true)]
    public void LoopOverMembersDirectly()
    {
        foreach (var m in _rooms.FindLocal(1, "room-42")!.Members)
            if (m.UserId != "sender") ((QueueConnection)m.Connection).Queue.Enqueue(_frame, reliable: false);
    }

    [Benchmark]
    public void SendToRoomExceptSender() => _rooms.SendToRoom(1, "room-42", _frame, Delivery.Unreliable, exceptUserId: "sender");

    /// <summary>A connection that is only a send queue, as the gateway's session is for delivery.</summary>
    private sealed class QueueConnection(SendQueue queue) : IClientConnection
    {
        public SendQueue Queue => queue;
        private static long s_next;
        public long Id { get; } = Interlocked.Increment(ref s_next);
        public uint AppId => 1;
        public string RemoteAddress => "bench";
        public string? UserId => null;
        public bool TryBindUser(string userId) => true;
        public bool Send(EncodedFrame frame, Delivery delivery) => queue.Enqueue(frame, delivery == Delivery.Reliable);
    }
}
