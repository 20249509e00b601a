namespace Chorus.Storage;

/// <summary>
/// Durable memory of the <c>SignatureNonce</c>s of accepted server API requests, so that a signed request is accepted
/// at most once, also across restarts of the server. An entry is needed only while its request's Timestamp is still
/// inside the accepted window; after <c>expiresAt</c> it may be forgotten (and the nonce accepted again).
/// A storage failure, and any call after the store was disposed, throws <see cref="ChatStoreException"/>.
/// </summary>
public interface ISignatureNonceStore : IAsyncDisposable
{
    /// <summary>
    /// Records <paramref name="nonce"/> for <paramref name="appId"/>, atomically with the check that it is new.
    /// The task completes only once the record is durable.
    /// </summary>
    /// <param name="appId">The app whose request it is (each app has its own nonces).</param>
    /// <param name="nonce">The request's SignatureNonce.</param>
    /// <param name="expiresAt">From when the entry may be forgotten.</param>
    /// <param name="cancellationToken">Cancels waiting (the record may still be made).</param>
    /// <returns>True when the nonce was new (or only held by an expired entry) and is now recorded; false when it
    /// was already recorded and has not expired (a replay).</returns>
    Task<bool> TryRecordAsync(uint appId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}
