namespace Chorus.Storage;

/// <summary>
/// Durable chat storage: messages with per-conversation sequence numbers, each user's view of its conversations,
/// and groups. A task that completes means the change is durable. Every implementation passes the conformance tests
/// in <c>tests/Chorus.Storage.Tests</c>. A storage failure, and any call after the store was disposed, throws
/// <see cref="ChatStoreException"/> (never the database's own exception types); a failed write stores nothing.
/// The store is the three concerns together (<see cref="IMessageStore"/>, <see cref="IConversationStore"/>,
/// <see cref="IGroupStore"/>), one instance behind all of them, so that a feature can take only the part it uses.
/// </summary>
public interface IChatStore : IMessageStore, IConversationStore, IGroupStore, IAsyncDisposable;
