namespace Chorus.Server.Rooms;

/// <summary>Delivery to the members of a room on this node, the same from every <see cref="IRoomLifetimeManager"/>.</summary>
public static class RoomDelivery
{
    /// <summary>Queues a frame for the members of a room on this node (no allocation per recipient).</summary>
    public static void DeliverLocal(RoomMember[] members, EncodedFrame frame, Delivery delivery, string? exceptUserId, RoomAudience audience)
    {
        if (audience == RoomAudience.StatusSubscribers)
        {
            foreach (var m in members)
                if (m.UserStatusNotify && !string.Equals(m.UserId, exceptUserId, StringComparison.Ordinal)) m.Connection.Send(frame, delivery);
            return;
        }
        foreach (var m in members)
            if (!string.Equals(m.UserId, exceptUserId, StringComparison.Ordinal)) m.Connection.Send(frame, delivery);
    }
}
