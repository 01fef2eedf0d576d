using System.Diagnostics;
using System.Net.Sockets;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>Small helpers for the private servers: signals, readiness, running a tool to completion.</summary>
public static class OsSignals
{
    /// <summary>Sends a signal (QUIT, KILL, STOP, CONT...) to one process by id.</summary>
    public static void Send(int pid, string signal) => Run("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10), check: false);

    public static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    /// <summary>Waits (bounded) until the process is gone.</summary>
    public static async Task WaitGoneAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"process {pid} still alive after {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>Runs a tool to completion (bounded) and returns its output; a non-zero exit fails when <paramref name="check"/>.</summary>
    public static string Run(string file, IEnumerable<string> arguments, TimeSpan timeout, bool check = true, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit((int)timeout.TotalMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}");
        }
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} exited {p.ExitCode}: {stdout.Result}{stderr.Result}");
        return stdout.Result + stderr.Result;
    }

    /// <summary>Waits (bounded) until something accepts TCP connections on the loopback port.</summary>
    public static async Task WaitForPortAsync(int port, TimeSpan timeout, Func<bool>? stillStarting = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (stillStarting is not null && !stillStarting()) throw new InvalidOperationException($"the server for port {port} exited while starting");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(2));
                return;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"nothing listens on 127.0.0.1:{port} after {timeout}");
    }
}
