using System.Net;
using System.Net.Sockets;

namespace Chorus.IntegrationTests.Infrastructure;

/// <summary>A loopback TCP proxy in front of the server that can drop every connection at once (for reconnect tests).</summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private volatile IPEndPoint _target;
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();

    public FaultProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    /// <summary>The server new connections go to (a test can point the proxy at a restarted server).</summary>
    public Uri Target { set => _target = new IPEndPoint(IPAddress.Loopback, value.Port); }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Refuse (close at once) new connections while true.</summary>
    public bool Refuse { get; set; }

    /// <summary>Drops every proxied connection now.</summary>
    public void DropAll()
    {
        lock (_open)
        {
            foreach (var c in _open) { try { c.Client.LingerState = new LingerOption(true, 0); c.Close(); } catch (Exception) { } }
            _open.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            if (Refuse) { inbound.Close(); continue; }
            var outbound = new TcpClient();
            try { await outbound.ConnectAsync(_target, _stop.Token); }
            catch (Exception) { inbound.Close(); continue; }
            lock (_open) { _open.Add(inbound); _open.Add(outbound); }
            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream()); }
        catch (Exception) { }
        try { to.Close(); from.Close(); } catch (Exception) { }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        DropAll();
        return ValueTask.CompletedTask;
    }
}
