using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FlashSale.Bench;

/// <summary>wrk's settings for the bench's phases: <c>-t</c>, <c>-c</c> and <c>-d</c>.</summary>
public sealed record WrkSettings(int Threads, int Connections, int Seconds)
{
    public static readonly WrkSettings Default = new(2, 128, 10);

    public string Describe() => FormattableString.Invariant($"wrk -t{Threads} -c{Connections} -d{Seconds}s");
}

/// <summary>What bench/wrk/purchase.lua wrote at the end of a run, and wrk's own CPU time.</summary>
public sealed record WrkSummary(
    long Requests, double Seconds, IReadOnlyDictionary<string, long> Statuses, IReadOnlyDictionary<string, long> Codes, long Accepted,
    long DistinctOrderIds, IReadOnlyDictionary<string, long> Errors, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs,
    double CpuSeconds, string Output)
{
    public double RequestsPerSecond => Requests / Math.Max(1e-9, Seconds);
    public double AcceptedPerSecond => Accepted / Math.Max(1e-9, Seconds);
    /// <summary>Requests wrk sent that got no answer it could read (timeouts, broken connections).</summary>
    public long Unanswered => Errors.Where(e => e.Key != "status").Sum(e => e.Value);
    /// <summary>Answers with a status of 500 or more, by status.</summary>
    public long ServerErrors => Statuses.Where(s => int.TryParse(s.Key, CultureInfo.InvariantCulture, out var status) && status >= 500).Sum(s => s.Value);

    /// <summary>Reads the summary JSON of purchase.lua.</summary>
    public static WrkSummary Parse(string json, double cpuSeconds, string output)
    {
        var node = JsonNode.Parse(json)!;
        static Dictionary<string, long> Counts(JsonNode? n) => n?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>()) ?? [];
        var latency = node["latencyMs"]!;
        return new WrkSummary(node["requests"]!.GetValue<long>(), node["durationSeconds"]!.GetValue<double>(), Counts(node["statuses"]), Counts(node["codes"]),
            node["accepted"]!.GetValue<long>(), node["distinctOrderIds"]!.GetValue<long>(), Counts(node["errors"]),
            latency["p50"]!.GetValue<double>(), latency["p90"]!.GetValue<double>(), latency["p99"]!.GetValue<double>(), latency["p99.9"]!.GetValue<double>(),
            latency["max"]!.GetValue<double>(), cpuSeconds, output);
    }
}

/// <summary>Runs wrk with bench/wrk/purchase.lua, the bench's independent load client.</summary>
public static partial class Wrk
{
    public static string Script => Path.Combine(BenchEnvironment.RepositoryRoot, "bench", "wrk", "purchase.lua");

    /// <summary>Makes sure wrk is installed: bench/wrk/install.sh installs Debian's package when it is not.</summary>
    public static void Ensure()
    {
        if (OnPath("wrk")) return;
        Console.Error.WriteLine("wrk is not installed: running bench/wrk/install.sh");
        using var p = Process.Start(new ProcessStartInfo("bash", [Path.Combine(BenchEnvironment.RepositoryRoot, "bench", "wrk", "install.sh")]))!;
        p.WaitForExit();
        if (p.ExitCode != 0 || !OnPath("wrk")) throw new InvalidOperationException("wrk is not installed and bench/wrk/install.sh could not install it (it needs apt-get as root)");
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, program)));

    /// <summary>
    /// Runs <c>wrk -t -c -d --timeout 10s -s bench/wrk/purchase.lua &lt;server&gt; -- &lt;saleId&gt; &lt;tokens&gt; &lt;summary&gt;</c>
    /// under bash, whose <c>times</c> then tells wrk's CPU time; returns the script's summary.
    /// </summary>
    public static async Task<WrkSummary> RunAsync(Uri server, string saleId, string tokensFile, WrkSettings settings, string label)
    {
        var summaryFile = Path.Combine(Path.GetTempPath(), $"flashsale-wrk-{Guid.NewGuid():N}.json");
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = BenchEnvironment.RepositoryRoot,
        };
        // `times` prints the shell's and then its children's user and system time: the second line is wrk's.
        foreach (var arg in new[]
        {
            "-c", "wrk \"$@\"; status=$?; times >&2; exit $status", "wrk",
            $"-t{settings.Threads}", $"-c{settings.Connections}", FormattableString.Invariant($"-d{Math.Max(1, settings.Seconds)}s"), "--timeout", "10s",
            "-s", Script, server.ToString().TrimEnd('/'), "--", saleId, tokensFile, summaryFile,
        })
        {
            info.ArgumentList.Add(arg);
        }
        Console.Error.WriteLine($"  {label}: {settings.Describe()} -s bench/wrk/purchase.lua {server} -- {saleId} …");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var errors = await stderr;
        try
        {
            if (process.ExitCode != 0 || !File.Exists(summaryFile))
                throw new InvalidOperationException($"wrk failed ({label}, exit {process.ExitCode}):\n{stdout}\n{errors}");
            var summary = WrkSummary.Parse(await File.ReadAllTextAsync(summaryFile), ChildCpuSeconds(errors), stdout.Trim());
            Console.Error.WriteLine("  " + stdout.Trim().Split('\n')[^1]);
            return summary;
        }
        finally
        {
            File.Delete(summaryFile);
        }
    }

    /// <summary>The children's user + system seconds from the two lines bash's <c>times</c> prints ("0m0.010s 0m0.002s").</summary>
    public static double ChildCpuSeconds(string timesOutput)
    {
        var lines = timesOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => TimesPattern().Matches(l).Count == 2).ToList();
        if (lines.Count < 2) return 0;
        return TimesPattern().Matches(lines[^1]).Sum(m =>
            int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60 + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(\d+)m(\d+(?:\.\d+)?)s")]
    private static partial Regex TimesPattern();
}
