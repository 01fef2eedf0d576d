using System.Diagnostics;
using System.Globalization;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// A RabbitMQ node of the test's own: its own node name, ports, epmd, cookie and data (mnesia) in a temp
/// dir, loopback only. <see cref="Kill"/> is a SIGKILL of the Erlang VM; <see cref="StartAsync"/> boots
/// it again on the same data (the quorum queues recover from their logs).
/// </summary>
public sealed class PrivateRabbitMq : IAsyncDisposable
{
    private const string Sbin = "/usr/lib/rabbitmq/bin";
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-rabbit-").FullName;
    private readonly int _distPort = TestServices.FreePort();
    private readonly int _epmdPort = TestServices.FreePort();
    private Process? _process;

    public int Port { get; } = TestServices.FreePort();
    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{Port}/";
    private string NodeName => $"chaos{Port}@localhost";
    private string PidFile => Path.Combine(_dir, "rabbitmq.pid");

    private Dictionary<string, string> Environment => new()
    {
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_USE_LONGNAME"] = "false",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = _distPort.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["ERL_EPMD_PORT"] = _epmdPort.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_dir, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(_dir, "log"),
        ["RABBITMQ_PID_FILE"] = PidFile,
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_dir, "enabled_plugins"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_dir, "rabbitmq.conf"),
        ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_dir, "advanced.config"),
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_dir, "rabbitmq-env.conf"),
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        ["RABBITMQ_CTL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        ["HOME"] = Path.Combine(_dir, "home"),
        ["ERL_CRASH_DUMP"] = Path.Combine(_dir, "log", "erl_crash.dump"),
    };

    public async Task StartAsync()
    {
        var home = Path.Combine(_dir, "home");
        if (!Directory.Exists(home))
        {
            Directory.CreateDirectory(home);
            Directory.CreateDirectory(Path.Combine(_dir, "mnesia"));
            Directory.CreateDirectory(Path.Combine(_dir, "log"));
            var cookie = Path.Combine(home, ".erlang.cookie");
            await File.WriteAllTextAsync(cookie, Convert.ToHexString(Guid.NewGuid().ToByteArray()));
            OsSignals.Run("chmod", ["400", cookie], TimeSpan.FromSeconds(10));
            await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq-env.conf"), "");
            await File.WriteAllTextAsync(Path.Combine(_dir, "enabled_plugins"), "[].\n");
            await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq.conf"), "loopback_users.guest = true\nlog.console = false\nlog.file.level = warning\n");
        }
        File.Delete(PidFile);
        var info = new ProcessStartInfo(Sbin + "/rabbitmq-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        foreach (var (k, v) in Environment) info.Environment[k] = v;
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // The AMQP listener opens last in the boot: once it accepts, the node serves.
        await OsSignals.WaitForPortAsync(Port, TimeSpan.FromSeconds(120), () => !_process.HasExited);
    }

    /// <summary>The Erlang VM's process id, from its pid file.</summary>
    private int? BeamPid =>
        File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid) && OsSignals.IsAlive(pid) ? pid : null;

    /// <summary>SIGKILL of the broker's Erlang VM: no clean shutdown, unconfirmed publishes are lost to the client.</summary>
    public async Task KillAsync()
    {
        if (BeamPid is { } pid)
        {
            OsSignals.Send(pid, "KILL");
            await OsSignals.WaitGoneAsync(pid, TimeSpan.FromSeconds(30));
        }
        if (_process is { HasExited: false } wrapper)
        {
            wrapper.Kill(entireProcessTree: true);
            await wrapper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        // The node started a private epmd on its own port; stop it (by port, it serves no one else).
        var epmd = Directory.GetDirectories("/usr/lib/erlang", "erts-*").Select(d => Path.Combine(d, "bin", "epmd")).FirstOrDefault(File.Exists);
        if (epmd is not null)
        {
            OsSignals.Run(epmd, ["-port", _epmdPort.ToString(CultureInfo.InvariantCulture), "-kill"], TimeSpan.FromSeconds(10), check: false,
                new Dictionary<string, string> { ["ERL_EPMD_PORT"] = _epmdPort.ToString(CultureInfo.InvariantCulture) });
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
