using Chorus.Protocol;
using Chorus.Server.Auth;
using Chorus.Server.Chat;
using Chorus.Server.Core.Operations;
using Chorus.Server.Hosting;
using Chorus.Storage;
using Chorus.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Chorus.Server.Tests.Chat;

/// <summary>
/// The chat core without sockets: every part wired as the server wires it, on a real SQLite store in a temporary
/// directory and a <see cref="FakeTimeProvider"/>; clients are <see cref="FakeConnection"/>s.
/// </summary>
public sealed class ChatCore : IAsyncDisposable
{
    public const uint AppId = 1;
    public const string Secret = "chat-core-test-secret-not-real00";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chorus-chatcore-" + Guid.NewGuid().ToString("N"));
    private readonly bool _ownsDirectory = true;
    private readonly SqliteChatStore _store;
    private long _nextRid;

    /// <summary>A core alone (in-process presence and rooms, its own store).</summary>
    public ChatCore(Action<ChatOptions>? configure = null) : this(configure, null)
    {
    }

    /// <summary>
    /// A core that is one node of several: <paramref name="node"/> gives its node number, the directory of the store
    /// the nodes share (one SQLite file, written by each node's own store) and the presence and rooms it runs on.
    /// </summary>
    public ChatCore(Action<ChatOptions>? configure, ChatCoreNode? node)
    {
        var server = Microsoft.Extensions.Options.Options.Create(new ChorusServerOptions { Apps = [new AppOptions { AppId = AppId, ServerSecret = Secret }] });
        // Refused tokens are answered at once (the delay would wait on the fake clock).
        Auth = new AuthOptions { TokenRefusalDelay = TimeSpan.Zero };
        var auth = Microsoft.Extensions.Options.Options.Create(Auth);
        var settings = new ChatOptions();
        configure?.Invoke(settings);
        Options = settings;
        var options = Microsoft.Extensions.Options.Options.Create(settings);
        if (node is not null) (_directory, _ownsDirectory) = (node.StoreDirectory, false);
        Directory.CreateDirectory(_directory);
        var ids = new MessageIdGenerator(node?.NodeId ?? 0, Time);
        _store = new SqliteChatStore(Path.Combine(_directory, "chat.db"), ids, Time);
        var (users, roomDirectory) = node is null
            ? (new InProcessChatPresence(new ChatUserRegistry()), new InProcessChatRoomDirectory(new ChatRoomRegistry(), options, Time))
            : node.Seams(options, Time);
        Presence = users;
        var validator = new ChatValidator(options);
        Rooms = new ChatRooms(roomDirectory, options, NullLogger<ChatRooms>.Instance);
        Sessions = new ChatSessions(_store, users, Rooms, new TokenValidator(new AppRegistry(server), auth, Time, NullLogger<TokenValidator>.Instance), options, auth, Time);
        Fanout = new ChatFanout(_store, users, Time, NullLogger<ChatFanout>.Instance);
        Delivery = new ChatDelivery(_store, users, roomDirectory, validator, ids, Fanout, options, Time, NullLogger<ChatDelivery>.Instance);
        var conversations = new ChatConversations(_store, NullLogger<ChatConversations>.Instance);
        var messages = new ChatMessages(_store, users, roomDirectory, NullLogger<ChatMessages>.Instance);
        var groups = new ChatGroups(_store, users, options, NullLogger<ChatGroups>.Instance);
        Service = new ChatService(Sessions, Rooms);
        // Requests go through the op table, as the gateway sends them.
        OpTable = new OpRegistry([
            new ChatSessionOps(Sessions, NullLogger<ChatSessionOps>.Instance),
            new ChatMessageOps(Sessions, Delivery, messages, NullLogger<ChatMessageOps>.Instance),
            new ChatConversationOps(Sessions, conversations, NullLogger<ChatConversationOps>.Instance),
            new ChatGroupOps(Sessions, groups, NullLogger<ChatGroupOps>.Instance),
            new ChatRoomOps(Sessions, Rooms, NullLogger<ChatRoomOps>.Instance),
        ]);
        Validator = validator;
    }

    /// <summary>The clock: starts at a fixed time and moves only when a test advances it.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    public ChatOptions Options { get; }
    public IChatPresence Presence { get; }
    public AuthOptions Auth { get; }
    public ChatService Service { get; }
    public OpRegistry OpTable { get; }
    public ChatSessions Sessions { get; }
    public ChatDelivery Delivery { get; }
    /// <summary>The delivery stage: a call through <see cref="CallAsync"/> returns once what it handed over is delivered.</summary>
    public ChatFanout Fanout { get; }
    public ChatRooms Rooms { get; }
    public ChatValidator Validator { get; }

    /// <summary>A token for <paramref name="userId"/> issued now.</summary>
    public string Token(string userId, long lifetimeSeconds = 3600) => Token04.Generate(AppId, userId, Secret, lifetimeSeconds, now: Time.GetUtcNow());

    /// <summary>Sends one request as the gateway does and returns the answer.</summary>
    public async Task<Frame> CallAsync(FakeConnection connection, Frame request)
    {
        request.Rid = Interlocked.Increment(ref _nextRid);
        var entry = OpTable.Find(request.Op) ?? throw new InvalidOperationException($"no chat op '{request.Op}'");
        var read = entry.Read(request.ToUtf8Bytes()) ?? throw new InvalidOperationException("the op's reader refused the request");
        var answer = FakeConnection.Decode(await entry.HandleAsync(connection, read, request.Rid, CancellationToken.None));
        // The answer comes at commit; live delivery and notifications follow in the delivery stage: waited for here, so
        // that a test sees what each call caused.
        await Fanout.WhenIdleAsync();
        return answer;
    }

    /// <summary>A new connection logged into chat as <paramref name="userId"/> (asserted).</summary>
    public async Task<FakeConnection> LoginAsync(string userId, long lifetimeSeconds = 3600)
    {
        var connection = new FakeConnection(AppId);
        await LoginAsync(connection, userId, lifetimeSeconds);
        return connection;
    }

    /// <summary>Logs <paramref name="connection"/> into chat as <paramref name="userId"/> (asserted).</summary>
    public async Task LoginAsync(FakeConnection connection, string userId, long lifetimeSeconds = 3600)
    {
        var answer = await CallAsync(connection, new Frame { Op = Ops.ChatLogin, UserId = userId, Token = Token(userId, lifetimeSeconds) });
        Assert.Equal(0, answer.ErrorCode);
    }

    /// <summary>A peer text message request.</summary>
    public static Frame PeerText(string to, string text, ChatMessageType type = ChatMessageType.Text) => new()
    {
        Op = Ops.SendMessage, ConvType = ConversationType.Peer, ConvId = to,
        Message = type == ChatMessageType.Command ? new WireChatMessage { Type = type, Data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)) } : new WireChatMessage { Type = type, Text = text },
    };

    /// <summary>Closes the store under the running core (what a failing disk looks like to chat).</summary>
    public async Task CloseStoreAsync()
    {
        if (_storeClosed) return;
        _storeClosed = true;
        await _store.DisposeAsync();
    }

    private bool _storeClosed;

    public async ValueTask DisposeAsync()
    {
        await Fanout.DisposeAsync();
        await CloseStoreAsync();
        if (_ownsDirectory)
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>How a <see cref="ChatCore"/> runs as one node of several.</summary>
/// <param name="NodeId">Its node number (in its chat MessageIds).</param>
/// <param name="StoreDirectory">The directory of the store file the nodes share (the caller deletes it).</param>
/// <param name="Seams">Makes its presence and chat rooms from its options and clock.</param>
public sealed record ChatCoreNode(int NodeId, string StoreDirectory,
    Func<IOptions<ChatOptions>, FakeTimeProvider, (IChatPresence Presence, IChatRoomDirectory Rooms)> Seams);
