namespace Chorus.Client;

/// <summary>Raises the SDK's events so that an application handler's failure never breaks the receive loop or delivery.</summary>
internal static class EventRaiser
{
    public static void Raise<T>(object sender, EventHandler<T>? handler, T args)
    {
        if (handler is null) return;
        try { handler(sender, args); }
        catch (Exception) { /* the application's exception is its own; the SDK goes on */ }
    }
}
