using FlashSale.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlashSale.Bench;

/// <summary>The soak scenario's knobs: sales back to back for <see cref="Minutes"/>, then a quiet tail.</summary>
public sealed record SoakSettings(
    double Minutes, string Mode, int Users, int Stock, int Attempts, int Concurrency, int Connections,
    double SaleSeconds, double SampleSeconds, double TailSeconds, double RetentionSeconds, int RedisDatabase, string OutputDirectory);

/// <summary>One reading of memory. Redis figures are null in embedded mode; heap and lanes are null if the server did not answer.</summary>
public sealed record SoakSample(
    double AtSeconds, string Phase, int SalesStarted, int SalesEnded, double? RedisUsedMiB, long? RedisKeys,
    int? SoakKeys, double? SoakKeysMiB, int? SalesInRedis, int? SalesWatched, double ServerRssMiB, double? HeapMiB, int? Lanes,
    IReadOnlyDictionary<string, int>? SoakKeysByKind, double? GcCommittedMiB);

/// <summary>One sale of the soak: its audit, and memory right after it (the heap after a full collection).</summary>
public sealed record SoakSale(
    int Number, string SaleId, double EndedAtSeconds, long Attempts, IReadOnlyDictionary<string, long> Answers, AuditResult Audit,
    double? RedisUsedMiB, int? SoakKeys, double ServerRssMiB, double? RetainedHeapMiB, int? Lanes, double? GcCommittedMiB);

/// <summary>Memory early in the soak against late in it, per series: the numbers "flat" is judged on.</summary>
public sealed record SoakTrend(string Series, string Unit, double Early, double Late, double SlopePerSale, double? AfterTail);

public sealed record SoakResult(SoakSettings Settings, IReadOnlyList<SoakSample> Samples, IReadOnlyList<SoakSale> Sales, SoakSample Final, double? FinalRetainedHeapMiB)
{
    public bool Passed => Sales.Count > 0 && Sales.All(s => s.Audit.Passed)
        && Sales.All(s => !s.Answers.Keys.Any(k => k.StartsWith('5') || k == "unavailable" || k == "transport_error"));
}

/// <summary>
/// The soak: one server process, sales one after another (each a crowd racing a small stock, then its end), memory
/// sampled throughout. With short retention (Redis keys, admission lanes) every ended sale's state must be released
/// within the run, so Redis and server memory stay flat from sale to sale and fall back once the sales stop.
/// </summary>
public static class Soak
{
    public static async Task<SoakResult> RunAsync(SoakSettings settings)
    {
        var retention = TimeSpan.FromSeconds(settings.RetentionSeconds).ToString("c", CultureInfo.InvariantCulture);
        var config = new Dictionary<string, string>(Scenarios.MeasureTheGate)
        {
            ["FlashSale__Redis__RetentionAfterEnd"] = retention,
            ["FlashSale__Admission__LaneIdleTimeout"] = retention,
        };
        string? dataDir = null;
        RedisProbe? redis = null;
        if (settings.Mode == "embedded")
        {
            dataDir = Directory.CreateTempSubdirectory("flashsale-soak-").FullName;
            config["FlashSale__Mode"] = "Embedded";
            config["FlashSale__Embedded__DatabasePath"] = Path.Combine(dataDir, "soak.db");
            config["FlashSale__Embedded__DemoSale"] = "false";
        }
        else
        {
            var services = BenchEnvironment.StartServices();
            foreach (var (k, v) in services) config[k] = v;
            // A Redis database of its own: DBSIZE then counts only the soak's keys, and the relays of other
            // deployments sharing the server (they watch their database's fs:sales) leave its ledgers alone.
            // It starts empty (keys a former soak left would count as this one's).
            var redisConnection = services["ConnectionStrings__Redis"];
            var ownDatabase = !redisConnection.Contains("defaultDatabase", StringComparison.OrdinalIgnoreCase);
            if (ownDatabase) redisConnection += $",defaultDatabase={settings.RedisDatabase}";
            config["ConnectionStrings__Redis"] = redisConnection;
            config["FlashSale__Mode"] = "Distributed";
            redis = new RedisProbe(redisConnection);
            if (ownDatabase) await redis.FlushAsync();
        }

        Console.Error.WriteLine($"Minting {settings.Users:N0} user tokens…");
        var tokens = LoadRun.MintTokens(settings.Users, "soak-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + "-");
        Console.Error.WriteLine($"== soak ({settings.Mode}): starting a server (retention after end and lane idle timeout {retention})");
        try
        {
            await using var server = await BenchServerProcess.StartAsync(config);
            using var http = LoadRun.Client(server.BaseAddress, settings.Connections);
            await LoadRun.RunAsync(http, "api/bench/echo", tokens, Math.Min(2_000, settings.Attempts), settings.Concurrency, "warm-up");

            var saleIds = new List<long>();
            var sales = new List<SoakSale>();
            var samples = new List<SoakSample>();
            var (started, ended, phase) = (0, 0, "sales");
            var clock = Stopwatch.StartNew();

            async Task<SoakSample> SampleAsync(bool collect)
            {
                long[] ids;
                lock (saleIds) ids = [.. saleIds];
                var memory = await ServerMemoryAsync(http, collect);
                var keys = redis is null ? null : await redis.ReadAsync(ids);
                return new SoakSample(Math.Round(clock.Elapsed.TotalSeconds, 1), phase, started, ended, keys?.UsedMiB, keys?.DbSize,
                    keys?.SoakKeys, keys?.SoakKeysMiB, keys?.SalesInRedis, keys?.SalesWatched, Math.Round(server.ResidentMiB(), 1),
                    memory?.HeapMiB, memory?.Lanes, keys?.KeysByKind, memory?.CommittedMiB);
            }

            void Print(SoakSample s) => Console.Error.WriteLine(FormattableString.Invariant(
                $"  sample {s.AtSeconds,6:F0} s  {s.Phase,-5} sales {s.SalesEnded,3}  redis {s.RedisUsedMiB,7:F2} MiB ({s.RedisKeys} keys, soak {s.SoakKeys} keys {s.SoakKeysMiB,6:F2} MiB, {s.SalesInRedis} sales, {s.SalesWatched} watched)  rss {s.ServerRssMiB,6:F1} MiB  heap {s.HeapMiB,6:F1} MiB (committed {s.GcCommittedMiB,6:F1})  lanes {s.Lanes}"));

            using var stopSampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.SampleSeconds));
                try
                {
                    do
                    {
                        var s = await SampleAsync(collect: false);
                        lock (samples) samples.Add(s);
                        Print(s);
                    }
                    while (await timer.WaitForNextTickAsync(stopSampling.Token));
                }
                catch (OperationCanceledException) { }
            });

            while (clock.Elapsed.TotalMinutes < settings.Minutes && !server.HasExited)
            {
                var number = sales.Count + 1;
                var startsAt = DateTimeOffset.UtcNow.AddSeconds(1);
                var endsAt = startsAt.AddSeconds(settings.SaleSeconds);
                var saleId = await BenchSales.CreateAsync(http, $"Soak sale {number}", "soak", settings.Stock, 1, startsAt, endsAt);
                lock (saleIds) saleIds.Add(long.Parse(saleId, CultureInfo.InvariantCulture));
                started++;
                await BenchSales.DelayUntilAsync(startsAt.AddMilliseconds(50));
                var load = await LoadRun.RunAsync(http, $"api/sales/{saleId}/purchase", tokens, settings.Attempts, settings.Concurrency, $"sale {number}");
                await BenchSales.DelayUntilAsync(endsAt.AddMilliseconds(200));
                ended++;
                var audit = await Auditor.RunAsync(http, saleId, settings.Stock, 1, load, tokens, TimeSpan.FromSeconds(Math.Max(10, settings.RetentionSeconds - 5)));
                var after = await SampleAsync(collect: true);
                sales.Add(new SoakSale(number, saleId, after.AtSeconds, load.Attempts, new SortedDictionary<string, long>(load.ByCode), audit,
                    after.RedisUsedMiB, after.SoakKeys, after.ServerRssMiB, after.HeapMiB, after.Lanes, after.GcCommittedMiB));
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"== sale {number} ({saleId}): {audit.AcceptedUnits} sold of {settings.Stock}, persisted {audit.PersistedUnits}, audit {(audit.Passed ? "ok" : "FAIL")}; redis {after.RedisUsedMiB:F2} MiB, rss {after.ServerRssMiB:F1} MiB, retained heap {after.HeapMiB:F1} MiB, lanes {after.Lanes}"));
            }

            phase = "tail";
            Console.Error.WriteLine($"== sales over after {clock.Elapsed.TotalSeconds:F0} s; {settings.TailSeconds:F0} s of quiet for the retention to act");
            await Task.Delay(TimeSpan.FromSeconds(settings.TailSeconds));
            await stopSampling.CancelAsync();
            await sampler;
            var final = await SampleAsync(collect: false);
            samples.Add(final);
            Print(final);
            var retained = (await ServerMemoryAsync(http, collect: true))?.HeapMiB;
            return new SoakResult(settings, samples, sales, final, retained);
        }
        finally
        {
            if (dataDir is not null) Directory.Delete(dataDir, recursive: true);
        }
    }

    private sealed record ServerMemory(double HeapMiB, double CommittedMiB, int Lanes);

    /// <summary>The server's managed heap and lanes (GET /api/bench/memory); null if it did not answer.</summary>
    private static async Task<ServerMemory?> ServerMemoryAsync(HttpClient http, bool collect)
    {
        try
        {
            var memory = await Auditor.AdminGetAsync(http, "api/bench/memory" + (collect ? "?collect=true" : ""));
            return new ServerMemory(Math.Round(memory["heapBytes"]!.GetValue<long>() / 1048576.0, 2),
                Math.Round(memory["committedBytes"]!.GetValue<long>() / 1048576.0, 2), memory["lanes"]!.GetValue<int>());
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>
    /// The trends: each series' mean over an early window of sales (the 4th to 6th, past the warm-up) against the last
    /// three, and its least-squares slope per sale from the 4th sale on. With few sales the windows shrink to what exists.
    /// </summary>
    public static List<SoakTrend> Trends(SoakResult result)
    {
        var sales = result.Sales;
        var trends = new List<SoakTrend>();
        if (sales.Count == 0) return trends;
        var from = sales.Count >= 6 ? 3 : 0;
        var early = sales.Skip(from).Take(3).ToList();
        var late = sales.TakeLast(3).ToList();
        var fitted = sales.Skip(from).ToList();
        void Add(string name, string unit, Func<SoakSale, double?> value, double? afterTail)
        {
            if (sales.Any(s => value(s) is null)) return;
            var xs = fitted.Select(s => (double)s.Number).ToArray();
            var ys = fitted.Select(s => value(s)!.Value).ToArray();
            trends.Add(new SoakTrend(name, unit, Math.Round(early.Average(s => value(s)!.Value), 3), Math.Round(late.Average(s => value(s)!.Value), 3),
                Math.Round(Slope(xs, ys), 4), afterTail is null ? null : Math.Round(afterTail.Value, 3)));
        }
        Add("Redis used_memory", "MiB", s => s.RedisUsedMiB, result.Final.RedisUsedMiB);
        Add("soak's sale keys in Redis", "keys", s => s.SoakKeys, result.Final.SoakKeys);
        Add("server RSS", "MiB", s => s.ServerRssMiB, result.Final.ServerRssMiB);
        Add("server heap after full GC", "MiB", s => s.RetainedHeapMiB, result.FinalRetainedHeapMiB);
        Add("GC committed after full GC", "MiB", s => s.GcCommittedMiB, result.Final.GcCommittedMiB);
        Add("admission lanes", "lanes", s => s.Lanes, result.Final.Lanes);
        return trends;
    }

    private static double Slope(double[] xs, double[] ys)
    {
        if (xs.Length < 2) return 0;
        var (mx, my) = (xs.Average(), ys.Average());
        var den = xs.Sum(x => (x - mx) * (x - mx));
        return den == 0 ? 0 : xs.Zip(ys).Sum(p => (p.First - mx) * (p.Second - my)) / den;
    }

    public static string Table(SoakResult result)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"sale",4} {"ended s",8} {"attempts",9} {"sold",6} {"persisted",9} {"oversold",8} {"over limit",10} {"202 no order",12} {"audit",5} {"redis MiB",9} {"soak keys",9} {"rss MiB",8} {"heap MiB",8} {"lanes",5}");
        foreach (var s in result.Sales)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{s.Number,4} {s.EndedAtSeconds,8:F0} {s.Attempts,9:N0} {s.Audit.AcceptedUnits,6:N0} {s.Audit.PersistedUnits,9:N0} {s.Audit.OversoldUnits,8} {s.Audit.UsersOverLimit,10} {s.Audit.AcceptedWithoutOrder,12} {(s.Audit.Passed ? "ok" : "FAIL"),5} {Show(s.RedisUsedMiB, "F2"),9} {Show(s.SoakKeys, "N0"),9} {s.ServerRssMiB,8:F1} {Show(s.RetainedHeapMiB, "F1"),8} {Show(s.Lanes, "N0"),5}");
        }
        var f = result.Final;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{"end",4} {f.AtSeconds,8:F0} {"",9} {"",6} {"",9} {"",8} {"",10} {"",12} {"",5} {Show(f.RedisUsedMiB, "F2"),9} {Show(f.SoakKeys, "N0"),9} {f.ServerRssMiB,8:F1} {Show(result.FinalRetainedHeapMiB, "F1"),8} {Show(f.Lanes, "N0"),5}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"series",-28} {"early",10} {"late",10} {"slope/sale",11} {"after tail",10}");
        foreach (var t in Trends(result))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{t.Series + " (" + t.Unit + ")",-28} {t.Early,10:F2} {t.Late,10:F2} {t.SlopePerSale,11:F3} {Show(t.AfterTail, "F2"),10}");
        }
        if (f.SoakKeysByKind is { } kinds)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"keys of the soak's {result.Sales.Count} sales left in Redis at the end: {(kinds.Count == 0 ? "none" : string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}")))} ({f.SoakKeysMiB:F2} MiB); DBSIZE {f.RedisKeys}");
        }
        var failed = result.Sales.Where(s => !s.Audit.Passed).ToList();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{result.Sales.Count} sales, {result.Samples.Count} samples, audit {(failed.Count == 0 ? "ok for every sale" : "FAILED for " + failed.Count + " sales")}");
        foreach (var s in failed)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"AUDIT FAILED sale {s.Number}: oversold {s.Audit.OversoldUnits}, users over limit {s.Audit.UsersOverLimit}, 202s without order {s.Audit.AcceptedWithoutOrder}");
        }
        return sb.ToString();
    }

    private static string Show(double? value, string format) => value is null ? "-" : value.Value.ToString(format, CultureInfo.InvariantCulture);

    public static string Json(SoakResult result, string commit) =>
        new JsonObject
        {
            ["commit"] = commit,
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["settings"] = JsonSerializer.SerializeToNode(result.Settings),
            ["passed"] = result.Passed,
            ["trends"] = JsonSerializer.SerializeToNode(Trends(result)),
            ["sales"] = JsonSerializer.SerializeToNode(result.Sales),
            ["samples"] = JsonSerializer.SerializeToNode(result.Samples),
            ["final"] = JsonSerializer.SerializeToNode(result.Final),
            ["finalRetainedHeapMiB"] = result.FinalRetainedHeapMiB,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The charts as standalone SVG files (for docs/), by file name: memory in MiB, and what is alive.</summary>
    public static Dictionary<string, string> Charts(SoakResult result)
    {
        var samples = result.Samples;
        List<(string, (double X, double Y)[])> Series(params (string Name, Func<SoakSample, double?> Value)[] series) =>
            series.Where(s => samples.Any(x => s.Value(x) is not null))
                .Select(s => (s.Name, samples.Where(x => s.Value(x) is not null).Select(x => (x.AtSeconds, s.Value(x)!.Value)).ToArray())).ToList();
        return new Dictionary<string, string>
        {
            ["soak-memory.svg"] = Reports.LineChart(Series(
                ("server RSS MiB", s => s.ServerRssMiB), ("server managed heap MiB", s => s.HeapMiB), ("GC committed MiB", s => s.GcCommittedMiB),
                ("Redis used_memory MiB", s => s.RedisUsedMiB), ("soak's sale keys MiB", s => s.SoakKeysMiB)), "s since start (sales, then the tail)", "MiB", logY: false),
            ["soak-live.svg"] = Reports.LineChart(Series(
                ("sales with keys in Redis", s => s.SalesInRedis), ("sales watched by the relay", s => s.SalesWatched),
                ("admission lanes", s => s.Lanes), ("sales ended", s => s.SalesEnded)), "s since start", "count", logY: false),
        };
    }

    public static string Html(SoakResult result, string commit, string table)
    {
        var charts = Charts(result);
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html lang=en><meta charset=utf-8><title>FlashSale soak</title><style>body{font:14px system-ui,sans-serif;max-width:1000px;margin:24px auto;padding:0 12px;color:#1d1d1f}pre{background:#f5f5f7;padding:12px;overflow:auto;font-size:12px}svg{background:#fff;border:1px solid #ddd;border-radius:8px}</style>");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>FlashSale soak ({System.Net.WebUtility.HtmlEncode(result.Settings.Mode)})</h1><p>commit <code>{System.Net.WebUtility.HtmlEncode(commit)}</code>, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:u}</p>");
        sb.Append("<h2>Sales and memory</h2><pre>").Append(System.Net.WebUtility.HtmlEncode(table)).Append("</pre>");
        sb.Append("<h2>Memory over time</h2>").Append(charts["soak-memory.svg"]);
        sb.Append("<h2>What is alive</h2>").Append(charts["soak-live.svg"]);
        return sb.Append("</html>").ToString();
    }
}

/// <summary>
/// Redis read through redis-cli: used_memory (server-wide: other deployments' keys count too), DBSIZE of the soak's
/// database, and the keys of this soak's own sales with their MEMORY USAGE.
/// </summary>
internal sealed class RedisProbe(string connection)
{
    private static readonly string[] SaleKeySuffixes = FlashSale.Redis.RedisKeys.SaleKeys.Suffixes;
    private readonly string _host = connection.Split(',')[0].Split(':')[0];
    private readonly string _port = connection.Split(',')[0].Split(':') is { Length: > 1 } parts ? parts[1] : "6379";
    private readonly string _database = connection.Split(',').Select(o => o.Trim()).FirstOrDefault(o => o.StartsWith("defaultDatabase=", StringComparison.OrdinalIgnoreCase))?.Split('=')[1] ?? "0";

    public sealed record Reading(double UsedMiB, long DbSize, int SoakKeys, double SoakKeysMiB, int SalesInRedis, int SalesWatched, IReadOnlyDictionary<string, int> KeysByKind);

    public async Task<Reading?> ReadAsync(IReadOnlyList<long> saleIds)
    {
        try
        {
            var info = await CliAsync(null, "INFO", "memory");
            var used = info.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..];
            var dbSize = long.Parse((await CliAsync(null, "DBSIZE")).Trim(), CultureInfo.InvariantCulture);
            var commands = new StringBuilder();
            foreach (var id in saleIds)
            {
                foreach (var suffix in SaleKeySuffixes) commands.Append(CultureInfo.InvariantCulture, $"MEMORY USAGE {FlashSale.Redis.RedisKeys.For(id).Prefix}{suffix}\n");
                commands.Append(CultureInfo.InvariantCulture, $"SISMEMBER {FlashSale.Redis.RedisKeys.WatchedSales} {id}\n");
            }
            var lines = saleIds.Count == 0 ? [] : (await CliAsync(commands.ToString())).Split('\n');
            var (keys, bytes, salesInRedis, watched) = (0, 0L, 0, 0);
            var byKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < saleIds.Count; i++)
            {
                var meta = false;
                for (var k = 0; k < SaleKeySuffixes.Length; k++)
                {
                    var line = Line(lines, i * (SaleKeySuffixes.Length + 1) + k);
                    if (!long.TryParse(line, CultureInfo.InvariantCulture, out var size)) continue;
                    keys++;
                    bytes += size;
                    byKind[SaleKeySuffixes[k]] = byKind.GetValueOrDefault(SaleKeySuffixes[k]) + 1;
                    if (k == 0) meta = true;
                }
                if (meta) salesInRedis++;
                if (Line(lines, i * (SaleKeySuffixes.Length + 1) + SaleKeySuffixes.Length) == "1") watched++;
            }
            return new Reading(Math.Round(long.Parse(used, CultureInfo.InvariantCulture) / 1048576.0, 3), dbSize, keys, Math.Round(bytes / 1048576.0, 3), salesInRedis, watched, byKind);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("  redis sample failed: " + ex.Message);
            return null;
        }
    }

    public async Task FlushAsync() => await CliAsync(null, "FLUSHDB");

    private static string Line(string[] lines, int index) => index < lines.Length ? lines[index].Trim() : "";

    private async Task<string> CliAsync(string? input, params string[] args)
    {
        var info = new ProcessStartInfo("redis-cli", ["-h", _host, "-p", _port, "-n", _database, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = input is not null,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException("redis-cli failed: " + await process.StandardError.ReadToEndAsync());
        return output;
    }
}
