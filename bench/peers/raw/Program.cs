// The ceiling of the benchmark: what .NET itself does on this machine. Idle connections hold no buffers (zero-byte
// reads; buffers rented from the pool while in use). No protocol, no auth. A connection joins the
// room its URL names (/ws?room=R). Each received text frame is copied once into a shared, already-framed buffer and
// queued to every other connection of the room; one writer per connection packs every queued frame into one
// socket write. WebSocket framing is done by hand on the upgraded stream, because WebSocket.SendAsync writes (and
// flushes) one frame per call.
using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Features;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var rooms = new ConcurrentDictionary<string, ConcurrentDictionary<long, Channel<byte[]>>>();
long nextId = 0;

app.Map("/ws", async (HttpContext context) =>
{
    var upgrade = context.Features.Get<IHttpUpgradeFeature>()!;
    string key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
    string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
    context.Response.Headers["Upgrade"] = "websocket";
    context.Response.Headers["Connection"] = "Upgrade";
    context.Response.Headers["Sec-WebSocket-Accept"] = accept;
    var stream = await upgrade.UpgradeAsync();
    long id = Interlocked.Increment(ref nextId);
    var connections = rooms.GetOrAdd(context.Request.Query["room"].ToString(), _ => new());
    var queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    connections[id] = queue;
    var writer = Task.Run(async () =>
    {
        try
        {
            while (await queue.Reader.WaitToReadAsync())
            {
                // a batch buffer is rented per write and returned, so an idle connection holds none
                byte[] buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
                int length = 0;
                while (queue.Reader.TryPeek(out var next) && length + next.Length <= buffer.Length && queue.Reader.TryRead(out var frame))
                {
                    frame.CopyTo(buffer, length);
                    length += frame.Length;
                }
                await stream.WriteAsync(buffer.AsMemory(0, length));
                await stream.FlushAsync();
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception) { }
    });
    byte[] input = [];
    try
    {
        int filled = 0;
        while (true)
        {
            if (filled == 0)
            {
                // a zero-byte read waits for data without holding a buffer
                if (input.Length > 0) ArrayPool<byte>.Shared.Return(input);
                input = [];
                _ = await stream.ReadAsync(Memory<byte>.Empty);
                input = ArrayPool<byte>.Shared.Rent(16 * 1024);
            }
            int n = await stream.ReadAsync(input.AsMemory(filled));
            if (n == 0) break;
            filled += n;
            int used = 0;
            while (TryParse(input.AsSpan(used, filled - used), out int consumed, out int opcode, out var payloadRange))
            {
                var payload = input.AsSpan(used + payloadRange.Start, payloadRange.Length);
                if (opcode == 8) goto done;
                if (opcode == 1)
                {
                    byte[] framed = Frame(payload); // one copy, shared by every recipient
                    foreach (var (otherId, other) in connections)
                        if (otherId != id) other.Writer.TryWrite(framed);
                }
                used += consumed;
            }
            Array.Copy(input, used, input, 0, filled - used);
            filled -= used;
            if (filled == input.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(input.Length * 2);
                input.AsSpan(0, filled).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(input);
                input = larger;
            }
        }
        done:;
    }
    catch (Exception) { }
    if (input.Length > 0) ArrayPool<byte>.Shared.Return(input);
    connections.TryRemove(id, out _);
    queue.Writer.TryComplete();
    await writer;
});
await app.StartAsync();
Console.WriteLine($"url: {app.Urls.First()}"); // the load generator reads this line
await app.WaitForShutdownAsync();

// Parses one masked client frame; unmasks its payload in place.
static bool TryParse(Span<byte> data, out int consumed, out int opcode, out (int Start, int Length) payload)
{
    consumed = 0; opcode = 0; payload = default;
    if (data.Length < 2) return false;
    opcode = data[0] & 0x0F;
    bool masked = (data[1] & 0x80) != 0;
    long length = data[1] & 0x7F;
    int at = 2;
    if (length == 126) { if (data.Length < 4) return false; length = (data[2] << 8) | data[3]; at = 4; }
    else if (length == 127) { if (data.Length < 10) return false; length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data[2..]); at = 10; }
    int maskAt = at;
    if (masked) at += 4;
    if (data.Length < at + length) return false;
    if (masked)
        for (int i = 0; i < length; i++) data[at + i] ^= data[maskAt + (i & 3)];
    payload = (at, (int)length);
    consumed = at + (int)length;
    return true;
}

// A server text frame (unmasked) around the payload.
static byte[] Frame(ReadOnlySpan<byte> payload)
{
    int header = payload.Length < 126 ? 2 : payload.Length < 65536 ? 4 : 10;
    var frame = new byte[header + payload.Length];
    frame[0] = 0x81;
    if (header == 2) frame[1] = (byte)payload.Length;
    else if (header == 4) { frame[1] = 126; frame[2] = (byte)(payload.Length >> 8); frame[3] = (byte)payload.Length; }
    else { frame[1] = 127; System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length); }
    payload.CopyTo(frame.AsSpan(header));
    return frame;
}
