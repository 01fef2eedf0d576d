using System.Net;
using System.Net.Sockets;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy to a server that can be frozen: from then on it keeps every connection open and
/// accepts new ones, but forwards no byte either way - a half-open connection, as a dead peer behind a
/// NAT or a stalled server looks to the client.
/// </summary>
public sealed class HalfOpenProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private volatile bool _frozen;
    private readonly Task _accepting;

    public HalfOpenProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Stops forwarding; connections stay open.</summary>
    public void Freeze() => _frozen = true;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                lock (_connections) _connections.AddRange([client, server]);
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    continue;
                }
                _ = PumpAsync(client.GetStream(), server.GetStream());
                _ = PumpAsync(server.GetStream(), client.GetStream());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                // Frozen: what arrives is swallowed, never answered, and the connection is not closed.
                if (_frozen) continue;
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        lock (_connections) foreach (var c in _connections) c.Dispose();
        _stop.Dispose();
    }
}
