using System.Diagnostics;
using System.Globalization;

namespace FlashSale.Bench;

/// <summary>Where the repository is, the local services (scripts/services.sh), and FlashSale server processes.</summary>
public static class BenchEnvironment
{
    public const string AdminKey = "bench-admin-key-0123456789";
    public const string SigningKey = "bench-signing-key-0123456789abcdef0123456789";
    public const string TokenSecret = "bench-token-secret-0123456789abcdef0123456789";

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlashSale.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("FlashSale.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static readonly string[] ServiceVariables = ["ConnectionStrings__Redis", "ConnectionStrings__RabbitMq", "ConnectionStrings__Postgres"];

    /// <summary>
    /// Starts (or finds running) Redis, RabbitMQ and PostgreSQL; returns their connection settings. When all three
    /// ConnectionStrings__* variables are set, the services they name are used as they are and nothing is started.
    /// </summary>
    public static Dictionary<string, string> StartServices()
    {
        var given = ServiceVariables.Select(name => (name, value: Environment.GetEnvironmentVariable(name))).ToList();
        if (given.All(g => !string.IsNullOrEmpty(g.value))) return given.ToDictionary(g => g.name, g => g.value!);
        var info = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "scripts", "services.sh"), "start"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("scripts/services.sh start failed");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A FlashSale server process started for one measurement, with its resource use read from /proc.</summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly Process _process;

    private ServerHost(Process process, Uri baseAddress) => (_process, BaseAddress) = (process, baseAddress);

    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;

    public static async Task<ServerHost> StartAsync(IDictionary<string, string> settings)
    {
        // This binary, as the server (bench serve): the production server plus the baselines and bench endpoints.
        var dll = typeof(ServerHost).Assembly.Location;
        var port = BenchEnvironment.FreePort();
        var info = new ProcessStartInfo("dotnet", [dll, Baselines.BenchServer.Command, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["FlashSale__AdminKey"] = BenchEnvironment.AdminKey;
        info.Environment["FlashSale__Auth__SigningKey"] = BenchEnvironment.SigningKey;
        info.Environment["FlashSale__Gateway__TokenSecret"] = BenchEnvironment.TokenSecret;
        info.Environment["FlashSale__Auth__DevTokens"] = "true";
        foreach (var (key, value) in settings) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new ServerHost(process, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 600; i++)
        {
            if (process.HasExited) throw new InvalidOperationException("The server exited: " + log);
            try
            {
                if ((await http.GetAsync("health/ready")).IsSuccessStatusCode) return host;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("The server did not become ready: " + log);
    }

    /// <summary>Resident memory now (VmRSS) in MiB; 0 once the process is gone.</summary>
    public double ResidentMiB()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
        }
        catch (IOException) { }
        return 0;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Peak resident memory (VmHWM) in MiB and CPU seconds used so far.</summary>
    public (double PeakMiB, double CpuSeconds) Usage()
    {
        double peak = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                peak = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        _process.Refresh();
        return (peak, _process.TotalProcessorTime.TotalSeconds);
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
