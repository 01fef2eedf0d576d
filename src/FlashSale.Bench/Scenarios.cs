using FlashSale.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace FlashSale.Bench;

public sealed record BenchSettings(int Users, int Stock, int Attempts, int Concurrency, int Connections, string[] Strategies, string OutputDirectory, bool Ceilings);

/// <summary>One strategy's figures, for the table, the JSON and the HTML report.</summary>
public sealed record StrategyResult(
    string Strategy, long Attempts, double Seconds, double AttemptsPerSecond, double ContestedPerSecond, double AfterSellOutPerSecond,
    double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, IReadOnlyDictionary<string, long> Answers,
    long Stock, AuditResult? Audit, double OrdersPerSecond, double ServerPeakMiB, double ServerCpuSeconds, double ClientCpuSeconds,
    double[] AttemptsPerSecondTimeline, (long UpperMicros, long Count)[] LatencyBuckets, JsonObject? Funnel);

public static class Scenarios
{
    public static readonly string[] AllStrategies = ["redis", "embedded", "database-optimistic", "database-pessimistic"];

    internal static readonly IReadOnlyDictionary<string, string> MeasureTheGate = new Dictionary<string, string>()
    {
        // The strategies differ in their gate; the gateway layers are the same for all and switched off here.
        ["FlashSale__Gateway__UserRequestsPerWindow"] = "0",
        ["FlashSale__Gateway__IpRequestsPerWindow"] = "0",
        ["FlashSale__Gateway__Risk__Enabled"] = "false",
        ["FlashSale__Admission__QueueCapacity"] = "200000",
    };

    public static async Task<List<StrategyResult>> RunAsync(BenchSettings settings)
    {
        var results = new List<StrategyResult>();
        Dictionary<string, string>? services = null;
        Console.Error.WriteLine($"Minting {settings.Users:N0} user tokens…");
        var tokens = LoadRun.MintTokens(settings.Users, "bench-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + "-");
        foreach (var strategy in settings.Strategies)
        {
            var config = new Dictionary<string, string>(MeasureTheGate);
            string? dataDir = null;
            if (strategy == "embedded")
            {
                dataDir = Directory.CreateTempSubdirectory("flashsale-bench-").FullName;
                config["FlashSale__Mode"] = "Embedded";
                config["FlashSale__Embedded__DatabasePath"] = Path.Combine(dataDir, "bench.db");
                config["FlashSale__Embedded__DemoSale"] = "false";
            }
            else
            {
                services ??= BenchEnvironment.StartServices();
                foreach (var (k, v) in services) config[k] = v;
                config["FlashSale__Mode"] = "Distributed";
                config["FlashSale__Bench__Gate"] = strategy;
            }
            Console.Error.WriteLine($"== {strategy}: starting a server");
            await using (var server = await BenchServerProcess.StartAsync(config))
            {
                using var http = LoadRun.Client(server.BaseAddress, settings.Connections);
                // Warm the JIT and the connection pool before anything is measured.
                await LoadRun.RunAsync(http, "api/bench/echo", tokens, Math.Min(5_000, settings.Attempts), settings.Concurrency, "warm-up");
                if (settings.Ceilings && strategy == "redis")
                {
                    var (serverBefore, clientBefore) = (server.Usage().CpuSeconds, ClientCpuSeconds());
                    var echo = await LoadRun.RunAsync(http, "api/bench/echo", tokens, settings.Attempts, settings.Concurrency, "http-ceiling");
                    var usage = server.Usage();
                    results.Add(Summarize("http-ceiling (echo)", echo, 0, null, 0, (usage.PeakMiB, usage.CpuSeconds - serverBefore), ClientCpuSeconds() - clientBefore, null));
                }
                results.Add(await MeasureAsync(strategy, server, http, tokens, settings));
            }
            if (dataDir is not null) Directory.Delete(dataDir, recursive: true);
        }
        if (settings.Ceilings && services is not null) results.Add(RedisCeiling(services["ConnectionStrings__Redis"]));
        return results;
    }

    private static async Task<StrategyResult> MeasureAsync(string strategy, ServerProcess server, HttpClient http, string[] tokens, BenchSettings settings)
    {
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(2);
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/admin/sales")
        {
            Content = JsonContent.Create(new { name = "Bench phone", productId = "bench", price = 1999, stock = settings.Stock, perUserLimit = 1, startsAt, endsAt = startsAt.AddHours(2) }),
        };
        create.Headers.Add("X-Admin-Key", BenchEnvironment.AdminKey);
        using var created = await http.SendAsync(create);
        created.EnsureSuccessStatusCode();
        var saleId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["saleId"]!.GetValue<string>();
        var wait = startsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);

        var (cpuBefore, clientBefore) = (server.Usage().CpuSeconds, ClientCpuSeconds());
        var load = await LoadRun.RunAsync(http, $"api/sales/{saleId}/purchase", tokens, settings.Attempts, settings.Concurrency, strategy);
        var usage = server.Usage();
        var clientCpu = ClientCpuSeconds() - clientBefore;
        Console.Error.WriteLine($"== {strategy}: auditing");
        var audit = await Auditor.RunAsync(http, saleId, settings.Stock, 1, load, tokens);
        var funnel = await Auditor.AdminGetAsync(http, $"api/admin/sales/{saleId}/funnel");
        // Persistence rate: orders written over the window from the first acceptance to the last write.
        var stats = await Auditor.StatsAsync(http, saleId);
        var window = DateTimeOffset.Parse(stats["lastPersistedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)
                     - DateTimeOffset.Parse(stats["firstAcceptedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var ordersPerSecond = audit.PersistedUnits / Math.Max(0.001, window.TotalSeconds);
        return Summarize(strategy, load, settings.Stock, audit, ordersPerSecond, (usage.PeakMiB, usage.CpuSeconds - cpuBefore), clientCpu, funnel);
    }

    /// <summary>The bench's own CPU time: on a two-core machine the client competes with the server.</summary>
    private static double ClientCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static StrategyResult Summarize(string name, LoadResult load, long stock, AuditResult? audit, double ordersPerSecond, (double PeakMiB, double CpuSeconds) usage, double clientCpuSeconds, JsonObject? funnel)
    {
        var slices = Math.Max(1, load.Slices);
        var soldOutSlice = (int)Math.Min(slices, load.SoldOutAtMs / LoadResult.SliceMs);
        var contested = load.AttemptsPerSlice.Take(soldOutSlice).Sum();
        var after = load.AttemptsPerSlice.Skip(soldOutSlice).Take(slices - soldOutSlice).Sum();
        var perSecond = Enumerable.Range(0, slices).Select(i => load.AttemptsPerSlice[i] * 1000.0 / LoadResult.SliceMs).ToArray();
        static double Ms(long micros) => micros / 1000.0;
        return new StrategyResult(name, load.Attempts, load.Elapsed.TotalSeconds, load.Attempts / load.Elapsed.TotalSeconds,
            soldOutSlice > 0 ? contested / (soldOutSlice * LoadResult.SliceMs / 1000.0) : 0,
            slices > soldOutSlice ? after / ((slices - soldOutSlice) * LoadResult.SliceMs / 1000.0) : 0,
            Ms(load.Latency.PercentileMicros(50)), Ms(load.Latency.PercentileMicros(90)), Ms(load.Latency.PercentileMicros(99)),
            Ms(load.Latency.PercentileMicros(99.9)), Ms(load.Latency.MaxMicros), new SortedDictionary<string, long>(load.ByCode),
            stock, audit, ordersPerSecond, usage.PeakMiB, usage.CpuSeconds, clientCpuSeconds, perSecond, load.Latency.Buckets().ToArray(), funnel);
    }

    /// <summary>redis-benchmark calling decide.lua (one decision per call) on a sale of its own in database 15.</summary>
    private static StrategyResult RedisCeiling(string redisConnection)
    {
        var port = redisConnection.Split(':')[1].Split(',')[0];
        var script = Path.Combine(BenchEnvironment.RepositoryRoot, "src", "FlashSale.Redis", "Scripts", "decide.lua");
        string Cli(params string[] args)
        {
            var info = new ProcessStartInfo("redis-cli", ["-p", port, "-n", "15", .. args]) { RedirectStandardOutput = true };
            using var p = Process.Start(info)!;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return output;
        }
        Cli("FLUSHDB");
        var sha = Cli("SCRIPT", "LOAD", File.ReadAllText(script));
        var keys = FlashSale.Redis.RedisKeys.For(1);
        Cli("HSET", keys.Meta!, "remaining", "1000000000", "limit", "1000000", "starts", "0", "ends", "99999999999999", "stock", "1000000000", "accepted", "0", "failed", "0");
        const int calls = 200_000;
        var bench = new ProcessStartInfo("redis-benchmark", ["-p", port, "--dbnum", "15", "-n", calls.ToString(CultureInfo.InvariantCulture), "-c", "50", "-r", "1000000", "-q", "--csv",
            "EVALSHA", sha, "5", .. keys.DecideKeys.Select(k => k.ToString()),
            "1", "u__rand_int__", "r__rand_int__", "1", "__rand_int__"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(bench)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Cli("FLUSHDB");
        var rps = output.Split('\n').Select(l => l.Split(',')).Where(c => c.Length >= 2 && c[0].Contains("EVALSHA", StringComparison.OrdinalIgnoreCase))
            .Select(c => double.Parse(c[1].Trim('"'), CultureInfo.InvariantCulture)).DefaultIfEmpty(calls / clock.Elapsed.TotalSeconds).First();
        Console.Error.WriteLine($"== redis-ceiling: {rps:N0} EVALSHA/s (one decision per call)");
        return new StrategyResult("redis-ceiling (redis-benchmark decide.lua)", calls, calls / rps, rps, 0, 0, 0, 0, 0, 0, 0,
            new Dictionary<string, long> { ["evalsha"] = calls }, 0, null, 0, 0, 0, 0, [], [], null);
    }
}
