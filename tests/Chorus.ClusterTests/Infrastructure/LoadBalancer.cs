using System.Net;
using System.Net.Sockets;

namespace Chorus.ClusterTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy standing for a load balancer in front of the nodes: each new connection goes to the current
/// target; a test moves the target (to another node) when the one behind it dies, as a health-checking balancer does.
/// </summary>
public sealed class LoadBalancer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile IPEndPoint _target;

    public LoadBalancer(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    /// <summary>Where new connections go.</summary>
    public Uri Target { set => _target = new IPEndPoint(IPAddress.Loopback, value.Port); }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            var outbound = new TcpClient();
            try { await outbound.ConnectAsync(_target, _stop.Token); }
            catch (Exception)
            {
                inbound.Close();
                outbound.Dispose();
                continue;
            }
            lock (_open) { _open.Add(inbound); _open.Add(outbound); }
            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream(), _stop.Token); }
        catch (Exception) { }
        // the peer went away (a killed node resets its connections): reset the other side too, as a balancer does
        try { to.Client.LingerState = new LingerOption(true, 0); } catch (Exception) { }
        to.Close();
        from.Close();
        lock (_open) { _open.Remove(from); _open.Remove(to); }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_open)
        {
            foreach (var c in _open) c.Close();
            _open.Clear();
        }
        return ValueTask.CompletedTask;
    }
}
