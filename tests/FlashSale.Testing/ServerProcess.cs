using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FlashSale.Testing;

/// <summary>
/// A FlashSale server started as its own OS process (the built FlashSale.Server.dll, or the benchmark's
/// <c>bench serve</c>), on real HTTP, so a test can SIGKILL it mid-sale and start it again and the benchmark
/// can read its CPU time and memory. The one launcher of the tests and the benchmark.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _dll;
    private readonly string[] _arguments;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private bool _exitExpected;
    private bool _inheritEnvironment = true;

    /// <summary>What a process started with <see cref="Exactly"/> still takes from the test process: what runs dotnet.</summary>
    private static readonly string[] RuntimeVariables = ["PATH", "HOME", "DOTNET_ROOT"];

    /// <summary>A distributed-mode process with the given roles, on the test services.</summary>
    public ServerProcess(string roles, IDictionary<string, string>? settings = null)
        : this(roles, TestServices.DistributedSettings, settings)
    {
    }

    private ServerProcess(string roles, Dictionary<string, string> mode, IDictionary<string, string>? settings)
        : this(ServerDll, [], roles, TestServices.AsEnvironment(TestServices.ServerSettings(roles), mode, settings))
    {
    }

    private ServerProcess(string dll, string[] arguments, string roles, Dictionary<string, string> environment)
    {
        (_dll, _arguments, Roles, _environment) = (dll, arguments, roles, environment);
        Port = TestServices.FreePort();
        _environment["ASPNETCORE_ENVIRONMENT"] = "Production";
    }

    /// <summary>Another entry point that hosts the server (the benchmark's <c>bench serve</c>), with exactly the given settings.</summary>
    public static ServerProcess Of(string dll, IReadOnlyList<string> arguments, IDictionary<string, string> environment) =>
        new(dll, [.. arguments], environment.TryGetValue("FlashSale__Roles", out var roles) ? roles : "api,worker", new Dictionary<string, string>(environment));

    /// <summary>
    /// The server with exactly the given environment as its configuration, as a container would run it: nothing of the test
    /// process's environment (its connection strings, say) but <see cref="RuntimeVariables"/>, no test settings.
    /// </summary>
    public static ServerProcess Exactly(IDictionary<string, string> environment)
    {
        var process = Of(ServerDll, [], environment);
        process._inheritEnvironment = false;
        if (!environment.ContainsKey("ASPNETCORE_ENVIRONMENT")) process._environment.Remove("ASPNETCORE_ENVIRONMENT");
        else process._environment["ASPNETCORE_ENVIRONMENT"] = environment["ASPNETCORE_ENVIRONMENT"];
        return process;
    }

    /// <summary>An embedded-mode process (no servers) on its own SQLite file.</summary>
    public static ServerProcess Embedded(string databasePath, IDictionary<string, string>? settings = null) =>
        new("api,worker", TestServices.EmbeddedSettings(databasePath), settings);

    public int Port { get; }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Starts the process and waits for it to exit by itself (a refused start); returns its exit code.</summary>
    public async Task<int> StartExpectingExitAsync(TimeSpan timeout)
    {
        try
        {
            await StartAsync(timeout);
        }
        catch (InvalidOperationException) when (ExitCode is not null && (_exitExpected = true))
        {
            return ExitCode.Value;
        }
        throw new InvalidOperationException($"The server started although it should not have:\n{Log}");
    }
    public string Roles { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    /// <summary>What the process wrote; once it has exited, to its end (its exit can be seen before the last lines are read).</summary>
    public string Log
    {
        get
        {
            if (_process is { HasExited: true } exited) exited.WaitForExit(); // with no timeout it waits for the output's end
            lock (_log) return _log.ToString();
        }
    }

    public static string ServerDll
    {
        get
        {
            // The test runs from tests/X/bin/<Configuration>/net10.0: the server was built with the same configuration.
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var dll = Path.Combine(TestServices.RepositoryRoot, "src", "FlashSale.Server", "bin", configuration, "net10.0", "FlashSale.Server.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first", dll);
        }
    }

    /// <summary>The test means this process to stop by itself: its exit is no failure.</summary>
    public void ExpectExit() => _exitExpected = true;

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        _exitExpected = false;
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { _dll },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
        };
        foreach (var argument in _arguments) info.ArgumentList.Add(argument);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
        if (!_inheritEnvironment)
        {
            foreach (var key in info.Environment.Keys.Except(RuntimeVariables, StringComparer.Ordinal).ToList()) info.Environment.Remove(key);
        }
        foreach (var (key, value) in _environment) info.Environment[key] = value;
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                process.WaitForExit(); // with no timeout it also waits for the redirected output to be read to its end
                throw new InvalidOperationException($"Server ({Roles}) exited with {process.ExitCode}:\n{Log}");
            }
            try
            {
                if ((await http.GetAsync("health/live")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Server ({Roles}) did not start:\n{Log}");
    }

    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("Not started.");

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Resident memory now (VmRSS) in MiB; 0 once the process is gone.</summary>
    public double ResidentMiB()
    {
        try
        {
            return StatusMiB("VmRSS:");
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Peak resident memory (VmHWM) in MiB and CPU seconds used so far.</summary>
    public (double PeakMiB, double CpuSeconds) Usage()
    {
        var peak = StatusMiB("VmHWM:");
        _process!.Refresh();
        return (peak, _process.TotalProcessorTime.TotalSeconds);
    }

    private double StatusMiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        return 0;
    }

    /// <summary>SIGKILL: no shutdown hooks, no draining, exactly like a crash.</summary>
    public void Kill()
    {
        _exitExpected = true;
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>Stops the process; one that had exited on its own while the test used it fails the test, with its log.</summary>
    public ValueTask DisposeAsync()
    {
        var died = _process is { HasExited: true } && !_exitExpected ? ExitCode : null;
        if (died is not null) _process!.WaitForExit();
        Kill();
        _process?.Dispose();
        _process = null;
        if (died is not null) throw new InvalidOperationException($"Server ({Roles}) exited on its own with {died} while the test used it:\n{Log}");
        return ValueTask.CompletedTask;
    }
}
