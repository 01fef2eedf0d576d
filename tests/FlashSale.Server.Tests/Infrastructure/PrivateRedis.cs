using System.Diagnostics;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>A redis-server of the test's own (loopback, temp dir, AOF fsync always), to stop and start at will.</summary>
public sealed class PrivateRedis(params string[] extraArguments) : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-redis-").FullName;
    private Process? _process;

    public int Port { get; } = TestServices.FreePort();
    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _dir, "--appendonly", "yes",
                "--appendfsync", "always", "--save", "", "--daemonize", "no", "--enable-debug-command", "local" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in extraArguments) info.ArgumentList.Add(argument);
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException("private redis-server did not start");
    }

    /// <summary>Runs one command with redis-cli and returns its reply (bounded: 15 s).</summary>
    public string Cli(params string[] command) =>
        OsSignals.Run("redis-cli", new[] { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(command), TimeSpan.FromSeconds(15)).Trim();

    /// <summary>Stops the server abruptly; its append-only file keeps every acknowledged write.</summary>
    /// <summary>Whether Redis leaves a PING unanswered for <paramref name="patience"/> (stalled, e.g. by DEBUG SLEEP).</summary>
    public bool IsStalled(TimeSpan patience)
    {
        using var client = new System.Net.Sockets.TcpClient();
        client.Connect(System.Net.IPAddress.Loopback, Port);
        var stream = client.GetStream();
        stream.Write("PING\r\n"u8);
        stream.ReadTimeout = (int)patience.TotalMilliseconds;
        try
        {
            return stream.Read(new byte[16]) <= 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Stop()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _process?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
