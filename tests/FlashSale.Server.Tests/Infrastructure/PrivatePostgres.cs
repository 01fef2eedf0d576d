using System.Diagnostics;
using Npgsql;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own (loopback, temp dir, fsync on), run as the postgres OS user, to
/// shut down immediately or kill at will and start again on the same data (crash recovery).
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-pg-").FullName;
    private Process? _process;
    private NpgsqlDataSource? _source;

    public int Port { get; } = TestServices.FreePort();
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database=postgres;Username=postgres;Pooling=true";
    private string DataDir => Path.Combine(_dir, "data");
    private string SocketDir => Path.Combine(_dir, "run");

    /// <summary>Direct access for the audit; unpooled, so no connection from before a restart is reused.</summary>
    public NpgsqlDataSource Source => _source ??= NpgsqlDataSource.Create(ConnectionString.Replace("Pooling=true", "Pooling=false", StringComparison.Ordinal));

    public async Task StartAsync()
    {
        if (!File.Exists(Path.Combine(DataDir, "PG_VERSION")))
        {
            // The temp dir is 0700 root: hand it to postgres, which runs the server.
            OsSignals.Run("chown", ["-R", "postgres:postgres", _dir], TimeSpan.FromSeconds(10));
            Directory.CreateDirectory(SocketDir);
            OsSignals.Run("chown", ["postgres:postgres", SocketDir], TimeSpan.FromSeconds(10));
            OsSignals.Run("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", Bin + "/initdb", "-D", DataDir, "-U", "postgres",
                "-E", "UTF8", "--no-locale", "--auth=trust", "--no-sync"], TimeSpan.FromSeconds(120));
        }
        var info = new ProcessStartInfo("setpriv")
        {
            // setpriv execs: the process started here is the postmaster itself.
            ArgumentList = { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", Bin + "/postgres", "-D", DataDir, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-k", SocketDir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "max_connections=100",
                "-c", "shared_buffers=32MB" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await OsSignals.WaitForPortAsync(Port, TimeSpan.FromSeconds(60), () => !_process.HasExited);
        // Accepting TCP is not accepting queries (crash recovery may still run).
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=5");
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Immediate shutdown (SIGQUIT): no checkpoint, the next start runs crash recovery.</summary>
    public async Task QuitAsync() => await SignalAsync("QUIT");

    /// <summary>SIGKILL of the postmaster (its backends notice and exit).</summary>
    public async Task KillAsync() => await SignalAsync("KILL");

    private async Task SignalAsync(string signal)
    {
        if (_process is not { HasExited: false } p) return;
        OsSignals.Send(p.Id, signal);
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        // Backends left by a SIGKILL hold the shared memory until they notice; wait for them too.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (File.Exists(Path.Combine(DataDir, "postmaster.pid")) && Backends().Length > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
    }

    private int[] Backends() =>
        Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0)
            .Where(IsBackendOf).ToArray();

    private bool IsBackendOf(int pid)
    {
        // A backend's command line is "postgres: ..." and its working directory is the data directory.
        try { return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(false)?.FullName == DataDir; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_source is not null) await _source.DisposeAsync();
        await KillAsync();
        _process?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
