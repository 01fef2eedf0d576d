using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace FlashSale.Testing;

/// <summary>
/// A real Prometheus (Debian's, through <c>scripts/prometheus.sh</c>) on a free loopback port with a temporary data
/// directory, scraping the given FlashSale servers with the admin key every second and evaluating
/// <c>deploy/prometheus/alerts.yml</c> every second. Disposing it stops Prometheus and deletes its directory; should the
/// test process die first, the script stops Prometheus by itself (it watches this process).
/// </summary>
public sealed class PrometheusProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private PrometheusProcess(Process process, string directory, int port)
    {
        (_process, _directory) = (process, directory);
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseAddress { get; }

    /// <summary>What the script and Prometheus wrote, for failure messages.</summary>
    public string Log
    {
        get
        {
            string output;
            lock (_output) output = _output.ToString();
            var log = Path.Combine(_directory, "prometheus.log");
            return output + (File.Exists(log) ? "\n--- prometheus.log ---\n" + ReadShared(log) : "");
        }
    }

    public static async Task<PrometheusProcess> StartAsync(IEnumerable<ServerProcess> targets, string adminKey, TimeSpan? timeout = null)
    {
        var directory = Directory.CreateTempSubdirectory("flashsale-prometheus-").FullName;
        var port = TestServices.FreePort();
        var info = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(TestServices.RepositoryRoot, "scripts", "prometheus.sh"), "run" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestServices.RepositoryRoot,
        };
        info.Environment["FLASHSALE_PROMETHEUS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["FLASHSALE_PROMETHEUS_DIR"] = directory;
        info.Environment["FLASHSALE_PROMETHEUS_TARGETS"] = string.Join(',', targets.Select(t => $"127.0.0.1:{t.Port}"));
        info.Environment["FLASHSALE_ADMIN_KEY"] = adminKey;
        info.Environment["FLASHSALE_PROMETHEUS_INTERVAL"] = "1s";
        info.Environment["FLASHSALE_PROMETHEUS_WATCH_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = new Process { StartInfo = info };
        var prometheus = new PrometheusProcess(process, directory, port);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (prometheus._output) prometheus._output.AppendLine(e.Data);
            if (e.Data.StartsWith("prometheus: ", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (prometheus._output) prometheus._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(timeout ?? TimeSpan.FromSeconds(60)));
            if (first == ready.Task) return prometheus;
            throw first == exited
                ? new InvalidOperationException($"scripts/prometheus.sh exited with {process.ExitCode}:\n{prometheus.Log}")
                : new TimeoutException($"Prometheus did not become ready:\n{prometheus.Log}");
        }
        catch
        {
            await prometheus.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>GET /api/v1/alerts</c>: every active (pending or firing) alert.</summary>
    public async Task<JsonArray> AlertsAsync() => (await GetDataAsync("api/v1/alerts"))["alerts"]!.AsArray();

    /// <summary>The state of the active alert <paramref name="name"/>: "pending", "firing", or null when it is inactive.</summary>
    public async Task<string?> AlertStateAsync(string name) =>
        (await AlertsAsync()).Where(a => a!["labels"]!["alertname"]!.GetValue<string>() == name)
            .Select(a => a!["state"]!.GetValue<string>())
            .OrderBy(s => s == "firing" ? 0 : 1)
            .FirstOrDefault();

    /// <summary><c>GET /api/v1/targets</c>: the active scrape targets.</summary>
    public async Task<JsonArray> TargetsAsync() => (await GetDataAsync("api/v1/targets"))["activeTargets"]!.AsArray();

    /// <summary><c>GET /api/v1/rules</c>: the rule groups loaded, with each rule's state.</summary>
    public async Task<JsonArray> RuleGroupsAsync() => (await GetDataAsync("api/v1/rules"))["groups"]!.AsArray();

    /// <summary>An instant query: the result vector.</summary>
    public async Task<JsonArray> QueryAsync(string promql) =>
        (await GetDataAsync("api/v1/query?query=" + Uri.EscapeDataString(promql)))["result"]!.AsArray();

    private async Task<JsonNode> GetDataAsync(string path)
    {
        var body = await _http.GetStringAsync(path);
        var json = JsonNode.Parse(body)!;
        if (json["status"]?.GetValue<string>() != "success") throw new InvalidOperationException($"Prometheus answered {path}: {body}");
        return json["data"]!;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            }
        }
        catch (InvalidOperationException)
        {
            // It was never started, or has exited meanwhile.
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held for a moment by the dying process: the temp directory is cleaned later.
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
