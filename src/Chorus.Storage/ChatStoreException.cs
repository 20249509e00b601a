namespace Chorus.Storage;

/// <summary>What kind of storage failure a <see cref="ChatStoreException"/> is.</summary>
public enum ChatStoreFailure
{
    /// <summary>The store could not be reached or could not do the work now (busy, locked, I/O error, cannot open);
    /// the same request may succeed later. Nothing of the failed write is stored.</summary>
    Unavailable = 1,

    /// <summary>The storage medium is full; nothing of the failed write is stored.</summary>
    Full = 2,

    /// <summary>The write broke a rule of the store's data (a constraint) that its own checks did not catch.</summary>
    Conflict = 3,

    /// <summary>The stored data is damaged or is not a Chorus store; retrying does not help.</summary>
    Corrupt = 4,

    /// <summary>The store has been closed (disposed): it takes no more reads or writes.</summary>
    Closed = 5,
}

/// <summary>
/// The failure of a Chorus store (<see cref="IChatStore"/>, <see cref="ISignatureNonceStore"/>), whatever the database
/// behind it: implementations wrap their database's own errors in it, so callers never see the database's exception
/// types. <see cref="Exception.InnerException"/> holds the original error, for logs.
/// </summary>
public sealed class ChatStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What kind of failure it is.</param>
    /// <param name="message">What failed (for logs; not shown to clients).</param>
    /// <param name="innerException">The database's own error, if any.</param>
    public ChatStoreException(ChatStoreFailure kind, string message, Exception? innerException = null) : base(message, innerException) => Kind = kind;

    /// <summary>What kind of failure it is.</summary>
    public ChatStoreFailure Kind { get; }

    /// <summary>Whether the same request may succeed later (<see cref="ChatStoreFailure.Unavailable"/> or <see cref="ChatStoreFailure.Full"/>).</summary>
    public bool IsTransient => Kind is ChatStoreFailure.Unavailable or ChatStoreFailure.Full;
}
