using System.Text;
using Chorus.Server.Chat;
using Chorus.Server.Core;

namespace Chorus.Bus.Redis;

/// <summary>
/// The messages of a node's chat channel (<c>chorus:chat:node:{id}</c>), binary: a delivery (the app, then items of
/// recipients, delivery class and the frame's JSON, encoded once by the origin) or a kick (the earlier login of a user
/// that logged in on another node).
/// </summary>
internal static class RedisChatEnvelope
{
    public const byte DeliveryKind = 1;
    public const byte KickKind = 2;

    /// <summary>One item of a delivery: the users that get <paramref name="Payload"/> (the frame's JSON, without WebSocket header).</summary>
    public readonly record struct Item(List<string> Users, Delivery Delivery, ReadOnlyMemory<byte> Payload);

    public static byte[] Delivery(uint appId, IReadOnlyList<Item> items)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(DeliveryKind);
            w.Write(appId);
            w.Write(items.Count);
            foreach (var item in items)
            {
                w.Write((byte)item.Delivery);
                w.Write(item.Users.Count);
                foreach (var u in item.Users) w.Write(u);
                w.Write(item.Payload.Length);
                w.Write(item.Payload.Span);
            }
        }
        return stream.ToArray();
    }

    public static byte[] Kick(uint appId, string userId, string loginValue)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(KickKind);
            w.Write(appId);
            w.Write(userId);
            w.Write(loginValue);
        }
        return stream.ToArray();
    }

    /// <summary>The JSON payload of an encoded frame (its WebSocket header stripped).</summary>
    public static ReadOnlyMemory<byte> PayloadOf(EncodedFrame frame)
    {
        var bytes = frame.Bytes;
        int header = bytes[1] switch { 126 => 4, 127 => 10, _ => 2 };
        return bytes.AsMemory(header);
    }

    /// <summary>Reads a node-channel message and hands each part to the callbacks.</summary>
    public static void Read(byte[] message, Action<uint, Item> onItem, Action<uint, string, string> onKick)
    {
        using var r = new BinaryReader(new MemoryStream(message, writable: false), Encoding.UTF8);
        byte kind = r.ReadByte();
        uint app = r.ReadUInt32();
        if (kind == KickKind)
        {
            onKick(app, r.ReadString(), r.ReadString());
            return;
        }
        if (kind != DeliveryKind) return;
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            var delivery = (Delivery)r.ReadByte();
            int users = r.ReadInt32();
            var list = new List<string>(users);
            for (int u = 0; u < users; u++) list.Add(r.ReadString());
            int length = r.ReadInt32();
            onItem(app, new Item(list, delivery, r.ReadBytes(length)));
        }
    }
}
