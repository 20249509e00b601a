using Chorus.Client;
using Chorus.IntegrationTests.Infrastructure;
using Chorus.Protocol;
using Chorus.Server.Core;
using Chorus.Server.Hosting;
using Chorus.Server.ServerApi;
using Chorus.Storage;
using Chorus.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.IntegrationTests;

/// <summary>Storage is registered by the host (AddSqliteStore), not by the server, which knows no database.</summary>
public sealed class StorageRegistrationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("1023")]
    public async Task Chat_MessageIds_carry_the_node_number(string? setting)
    {
        var settings = new Dictionary<string, string?>();
        if (setting is not null) settings["Chorus:NodeId"] = setting;
        await using var server = await TestServer.StartAsync(settings);
        int node = server.Services.GetRequiredService<NodeIdentity>().Id; // drawn at random when not set
        if (setting is not null) Assert.Equal(int.Parse(setting), node);
        var alice = await server.ChatAsync("alice");
        var sent = await alice.SendMessageAsync(ChatMessage.Text("hi"), "bob", ConversationType.Peer, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, sent.ErrorCode);
        Assert.Equal(node, MessageIdGenerator.NodeIdOf(sent.Message.MessageId));
        Assert.Equal(node, server.Services.GetRequiredService<MessageIdGenerator>().NodeId);
    }

    [Fact]
    public async Task A_store_failure_is_answered_by_the_server_api_with_105001_and_the_server_keeps_answering()
    {
        await using var server = await TestServer.StartAsync();
        await server.Services.GetRequiredService<IChatStore>().DisposeAsync(); // the chat store goes away (as on a failing disk)

        var r = await server.CallPostAsync("SendPeerMessage", """{"FromUserId":"system","ToUserId":["bob"],"MessageBody":{"Message":"x"}}""");
        Assert.Equal((ChatServerApi.StoreFailed, ChatServerApi.StoreFailedMessage), (r.GetProperty("Code").GetInt32(), r.GetProperty("Message").GetString()));
        Assert.False(r.TryGetProperty("SuccList", out _));
        var group = await server.CallPostAsync("SendGroupMessage", """{"FromUserId":"system","GroupId":"g1","MessageBody":{"Message":"x"}}""");
        Assert.Equal(ChatServerApi.StoreFailed, group.GetProperty("Code").GetInt32());
        var online = await server.CallPostAsync("QueryUserOnlineState", """{"UserId":["bob"]}""");
        Assert.Equal(0, online.GetProperty("Code").GetInt32()); // needs no store
    }

    [Fact]
    public void The_server_assembly_references_no_database()
    {
        var references = typeof(ChorusServerApp).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Chorus.Storage", references);
        Assert.DoesNotContain("Chorus.Storage.Sqlite", references);
        Assert.DoesNotContain(references, r => r!.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_host_that_registers_no_store_is_refused_with_what_to_call()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ChorusServerApp.Create([]));
        Assert.Contains("IChatStore", ex.Message);
        Assert.Contains("AddSqliteStore()", ex.Message);
    }

    [Fact]
    public async Task AddSqliteStore_takes_the_data_directory_lock_before_it_opens_a_file()
    {
        string data = TestServer.NewDataDirectory();
        try
        {
            await using var app = ChorusServerApp.Create([], b =>
            {
                b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Chorus:DataDirectory"] = data, ["Chorus:DatabaseFileName"] = "other.db" });
                b.Services.AddSqliteStore();
            });
            Assert.False(Directory.Exists(data)); // nothing opened yet
            var store = app.Services.GetRequiredService<IChatStore>();
            Assert.IsType<SqliteChatStore>(store);
            Assert.True(File.Exists(Path.Combine(data, DataDirectoryLock.FileName)));
            Assert.True(File.Exists(Path.Combine(data, "other.db")));
            // the lock is held by this process: a second lock on the directory is refused
            var second = new DataDirectoryLock(Microsoft.Extensions.Options.Options.Create(new StorageOptions { DataDirectory = data }));
            Assert.IsType<SqliteSignatureNonceStore>(app.Services.GetRequiredService<ISignatureNonceStore>());
            Assert.True(File.Exists(Path.Combine(data, SqliteSignatureNonceStore.DefaultFileName)));
            if (!OperatingSystem.IsWindows()) // flock is per open file description on Unix: a second open in one process is refused too
                Assert.Throws<DataDirectoryLockedException>(second.Acquire);
            second.Dispose();
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
