using FlashSale.Core.Sales;
using FlashSale.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace FlashSale.Bench;

/// <param name="Wrk">The wrk phases (contested, sold-out, and the bare ceiling's); null: the race only (smoke, burst).</param>
public sealed record BenchSettings(int Users, int Stock, int Attempts, int Concurrency, int Connections, string[] Strategies, string OutputDirectory, bool Ceilings,
    WrkSettings? Wrk = null);

/// <summary>One race (the .NET client's burst on a small stock, then the audit): for the table, the JSON and the HTML report.</summary>
/// <param name="Retries">Requests sent again with the same requestId after a 5xx or no answer.</param>
/// <param name="LearnedByRetry">The final answers of the purchases that were retried, by code.</param>
/// <param name="Unresolved">Purchases still answered 5xx (or not at all) after every retry, by code.</param>
public sealed record StrategyResult(
    string Strategy, long Attempts, double Seconds, double AttemptsPerSecond, double ContestedPerSecond, double AfterSellOutPerSecond,
    double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, IReadOnlyDictionary<string, long> Answers,
    long Stock, AuditResult? Audit, double OrdersPerSecond, double ServerPeakMiB, double ServerCpuSeconds, double ClientCpuSeconds,
    double[] AttemptsPerSecondTimeline, (long UpperMicros, long Count)[] LatencyBuckets, JsonObject? Funnel,
    long Retries = 0, IReadOnlyDictionary<string, long>? LearnedByRetry = null, IReadOnlyDictionary<string, long>? Unresolved = null);

/// <summary>
/// One phase driven by wrk: the bare ceiling, a strategy's contested phase (a sale nobody can exhaust: every
/// request can be accepted) or its sold-out phase (the race's sale, after it sold out).
/// </summary>
/// <param name="ServerAccepted">Contested: the units the server counts accepted for the phase's sale.</param>
/// <param name="PersistedWithinSeconds">Contested: from wrk's end until the server's stats show persisted = accepted; null if they never did.</param>
/// <param name="Cpu">CPU seconds of each process over the phase (contested: until persisted = accepted).</param>
public sealed record PhaseResult(string Strategy, string Phase, WrkSummary Wrk, long? ServerAccepted, double? PersistedWithinSeconds, double CpuWindowSeconds,
    IReadOnlyList<ProcessCpuUse> Cpu)
{
    public const string Ceiling = "ceiling", Contested = "contested", SoldOut = "sold-out";

    /// <summary>What CPU is divided by: accepted purchases in the contested phase, requests otherwise.</summary>
    public long Units => Phase == Contested ? ServerAccepted ?? Wrk.Accepted : Wrk.Requests;
    public string UnitName => Phase == Contested ? "accepted purchase" : "request";
    public double? MicrosPerUnit(string process) => Cpu.FirstOrDefault(c => c.Process == process) is { } use ? 1e6 * use.Seconds / Math.Max(1, Units) : null;
    public double TotalMicros(bool withLoadClient) => 1e6 * Cpu.Where(c => withLoadClient || !c.LoadClient).Sum(c => c.Seconds) / Math.Max(1, Units);
}

/// <summary>Everything one bench run measured, and why it failed if it did.</summary>
public sealed record BenchRun(BenchSettings Settings, List<StrategyResult> Races, List<PhaseResult> Phases, List<string> Failures, List<string> Notes)
{
    public StrategyResult? BareDotnet { get; set; }
    public StrategyResult? RedisCeiling { get; set; }
    public PhaseResult? Phase(string strategy, string phase) => Phases.FirstOrDefault(p => p.Strategy == strategy && p.Phase == phase);
}

public static class Scenarios
{
    public static readonly string[] AllStrategies = ["redis", "embedded", "database-optimistic", "database-pessimistic"];
    public const string Bare = "bare";

    internal static readonly IReadOnlyDictionary<string, string> MeasureTheGate = new Dictionary<string, string>()
    {
        // The strategies differ in their gate; the gateway layers are the same for all and switched off here.
        ["FlashSale__Gateway__UserRequestsPerWindow"] = "0",
        ["FlashSale__Gateway__IpRequestsPerWindow"] = "0",
        ["FlashSale__Gateway__Risk__Enabled"] = "false",
        ["FlashSale__Admission__QueueCapacity"] = "200000",
    };

    /// <summary>A warm-up sends up to 5,000 purchases, for this long at most (a database gate takes a few dozen a second).</summary>
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(5);

    /// <summary>How long the contested phase's orders may take to be persisted before the run fails.</summary>
    private static readonly TimeSpan PersistTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The bare ceiling's binary, built with the bench (src/FlashSale.Bench.Bare) and copied beside it.</summary>
    public static string BareDll => Path.Combine(Path.GetDirectoryName(typeof(Scenarios).Assembly.Location)!, "FlashSale.Bench.Bare.dll");

    public static async Task<BenchRun> RunAsync(BenchSettings settings)
    {
        var run = new BenchRun(settings, [], [], [], []);
        Dictionary<string, string>? services = null;
        List<CpuSource>? serviceCpu = null;
        var bench = new CpuSource("bench", () => ProcessCpu.OwnSeconds(Environment.ProcessId), LoadClient: true);
        Console.Error.WriteLine($"Minting {settings.Users:N0} user tokens…");
        var tokens = LoadRun.MintTokens(settings.Users, "bench-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + "-");
        string? tokensFile = null;
        if (settings.Wrk is not null)
        {
            Wrk.Ensure();
            tokensFile = Path.Combine(Path.GetTempPath(), $"flashsale-bench-tokens-{Guid.NewGuid():N}.txt");
            await File.WriteAllLinesAsync(tokensFile, tokens);
        }
        try
        {
            if (settings.Ceilings) await BareCeilingAsync(run, tokens, tokensFile, bench);
            foreach (var strategy in settings.Strategies)
            {
                var config = new Dictionary<string, string>(MeasureTheGate);
                string? dataDir = null;
                var cpu = new List<CpuSource>();
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
                    serviceCpu ??= settings.Wrk is null ? [] : CpuProbe.Services(services);
                    foreach (var (k, v) in services) config[k] = v;
                    config["FlashSale__Mode"] = "Distributed";
                    config["FlashSale__Bench__Gate"] = strategy;
                    cpu.AddRange(serviceCpu);
                }
                Console.Error.WriteLine($"== {strategy}: starting a server");
                await using (var server = await BenchServerProcess.StartAsync(config))
                {
                    using var http = LoadRun.Client(server.BaseAddress, settings.Connections);
                    cpu.Insert(0, new CpuSource("server", () => ProcessCpu.TreeSeconds(server.ProcessId)));
                    cpu.Add(bench);
                    var probe = new CpuProbe(cpu);
                    await using var settle = strategy == "redis" ? await SettleProbe.ConnectAsync(services!) : null;
                    await WarmUpAsync(strategy, http, tokens, settings, settle);
                    var (race, raceSaleId) = await RaceAsync(strategy, server, http, tokens, settings);
                    run.Races.Add(race);
                    JudgeRace(run, race);
                    if (settings.Wrk is { } wrk)
                    {
                        await ContestedAsync(run, strategy, server, http, tokensFile!, wrk, probe, settle);
                        await SoldOutAsync(run, strategy, server, raceSaleId, tokensFile!, wrk, probe);
                    }
                }
                if (dataDir is not null) Directory.Delete(dataDir, recursive: true);
            }
            if (settings.Ceilings && services is not null) run.RedisCeiling = RedisCeiling(services["ConnectionStrings__Redis"]);
        }
        finally
        {
            if (tokensFile is not null) File.Delete(tokensFile);
        }
        return run;
    }

    /// <summary>
    /// The bare framework (src/FlashSale.Bench.Bare, a process of its own): the .NET client's burst, then wrk with the
    /// same script and settings as the strategies' phases.
    /// </summary>
    private static async Task BareCeilingAsync(BenchRun run, string[] tokens, string? tokensFile, CpuSource bench)
    {
        var settings = run.Settings;
        Console.Error.WriteLine("== bare: starting the bare ASP.NET Core process (the HTTP ceiling)");
        await using var bare = ServerProcess.Of(BareDll, [], new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
        await bare.StartAsync(TimeSpan.FromSeconds(60));
        using var http = LoadRun.Client(bare.BaseAddress, settings.Connections);
        const string path = "api/sales/1/purchase";
        await LoadRun.RunAsync(http, path, tokens, Math.Min(5_000, settings.Attempts), settings.Concurrency, "warm-up", maxDuration: WarmUpTime);
        var (serverBefore, clientBefore) = (bare.Usage().CpuSeconds, ProcessCpu.OwnSeconds(Environment.ProcessId));
        var load = await LoadRun.RunAsync(http, path, tokens, settings.Attempts, settings.Concurrency, "bare (.NET client)");
        var usage = bare.Usage();
        run.BareDotnet = Summarize("bare (.NET client)", load, 0, null, 0, (usage.PeakMiB, usage.CpuSeconds - serverBefore),
            ProcessCpu.OwnSeconds(Environment.ProcessId) - clientBefore, null);
        if (load.Unresolved.Values.Sum() is > 0 and var failed) run.Failures.Add($"bare (.NET client): {failed:N0} requests answered 5xx or not at all after {RetryPolicy.Default.MaxRetries} retries");
        if (settings.Wrk is not { } wrk) return;

        var probe = new CpuProbe([new CpuSource("server", () => ProcessCpu.TreeSeconds(bare.ProcessId)), bench]);
        var before = probe.Read();
        var clock = Stopwatch.StartNew();
        var summary = await Wrk.RunAsync(bare.BaseAddress, "1", tokensFile!, wrk, "bare (wrk)");
        var phase = new PhaseResult(Bare, PhaseResult.Ceiling, summary, null, null, clock.Elapsed.TotalSeconds,
            probe.Between(before, probe.Read(), new ProcessCpuUse("wrk", summary.CpuSeconds, true)));
        run.Phases.Add(phase);
        if (summary.Accepted != summary.DistinctOrderIds)
            run.Failures.Add($"bare: {summary.Accepted:N0} 202s carried {summary.DistinctOrderIds:N0} distinct orderIds");
        JudgeServerErrors(run, phase);
    }

    /// <summary>JIT, connection pool and the whole purchase path warmed on a sale of its own, its orders written before anything is measured.</summary>
    private static async Task WarmUpAsync(string strategy, HttpClient http, string[] tokens, BenchSettings settings, SettleProbe? settle)
    {
        var saleId = await BenchSales.StartedAsync(http, "Bench warm-up", NewSaleValidator.MaxStock, NewSaleValidator.MaxPerUserLimit, TimeSpan.FromSeconds(1));
        await LoadRun.RunAsync(http, $"api/sales/{saleId}/purchase", tokens, Math.Min(5_000, settings.Attempts), settings.Concurrency, $"{strategy} warm-up", maxDuration: WarmUpTime);
        await PersistedWithinAsync(http, saleId, PersistTimeout, settle);
    }

    private static async Task<(StrategyResult Race, string SaleId)> RaceAsync(string strategy, ServerProcess server, HttpClient http, string[] tokens, BenchSettings settings)
    {
        var saleId = await BenchSales.StartedAsync(http, "Bench phone", settings.Stock, 1, TimeSpan.FromSeconds(2));

        var (cpuBefore, clientBefore) = (server.Usage().CpuSeconds, ProcessCpu.OwnSeconds(Environment.ProcessId));
        var load = await LoadRun.RunAsync(http, $"api/sales/{saleId}/purchase", tokens, settings.Attempts, settings.Concurrency, strategy);
        var usage = server.Usage();
        var clientCpu = ProcessCpu.OwnSeconds(Environment.ProcessId) - clientBefore;
        Console.Error.WriteLine($"== {strategy}: auditing");
        var audit = await Auditor.RunAsync(http, saleId, settings.Stock, 1, load, tokens);
        var funnel = await Auditor.AdminGetAsync(http, $"api/admin/sales/{saleId}/funnel");
        // Persistence rate: orders written over the window from the first acceptance to the last write.
        var stats = await Auditor.StatsAsync(http, saleId);
        var ordersPerSecond = 0.0;
        if (stats["lastPersistedAt"] is { } last && stats["firstAcceptedAt"] is { } first)
        {
            var window = DateTimeOffset.Parse(last.GetValue<string>(), CultureInfo.InvariantCulture) - DateTimeOffset.Parse(first.GetValue<string>(), CultureInfo.InvariantCulture);
            ordersPerSecond = audit.PersistedUnits / Math.Max(0.001, window.TotalSeconds);
        }
        return (Summarize(strategy, load, settings.Stock, audit, ordersPerSecond, (usage.PeakMiB, usage.CpuSeconds - cpuBefore), clientCpu, funnel), saleId);
    }

    /// <summary>The race's reasons to fail the run: a failed audit, purchases never answered after every retry.</summary>
    internal static void JudgeRace(BenchRun run, StrategyResult race)
    {
        if (race.Audit is { Passed: false } audit)
            run.Failures.Add($"{race.Strategy}: audit failed: oversold {audit.OversoldUnits}, users over limit {audit.UsersOverLimit}, 202s without order {audit.AcceptedWithoutOrder}");
        foreach (var (code, count) in race.Unresolved ?? new Dictionary<string, long>())
        {
            var answer = code == "transport_error" ? "got no answer (transport error)" : $"answered {(code == "unavailable" ? "503 unavailable" : code)}";
            run.Failures.Add($"{race.Strategy}: {count:N0} purchases {answer} after {RetryPolicy.Default.MaxRetries} retries with the same requestId");
        }
        if (race.Retries > 0)
        {
            run.Notes.Add($"{race.Strategy}: {race.Retries:N0} retries with the same requestId; the retried purchases ended {Counts(race.LearnedByRetry)}");
        }
    }

    /// <summary>
    /// The contested phase: wrk on a sale of the largest stock with the largest per-user limit, so that every request
    /// can be accepted; then the time until every accepted order is persisted. CPU is read from wrk's start to then.
    /// </summary>
    private static async Task ContestedAsync(BenchRun run, string strategy, ServerProcess server, HttpClient http, string tokensFile, WrkSettings wrk, CpuProbe probe, SettleProbe? settle)
    {
        var saleId = await BenchSales.StartedAsync(http, "Bench contested", NewSaleValidator.MaxStock, NewSaleValidator.MaxPerUserLimit, TimeSpan.FromSeconds(2));
        var before = probe.Read();
        var clock = Stopwatch.StartNew();
        var summary = await Wrk.RunAsync(server.BaseAddress, saleId, tokensFile, wrk, $"{strategy} contested");
        var persistedWithin = await PersistedWithinAsync(http, saleId, PersistTimeout, settle);
        var cpu = probe.Between(before, probe.Read(), new ProcessCpuUse("wrk", summary.CpuSeconds, true));
        var stats = await Auditor.StatsAsync(http, saleId);
        var (accepted, persisted) = (stats["accepted"]!.GetValue<long>(), stats["persisted"]!.GetValue<long>());
        var phase = new PhaseResult(strategy, PhaseResult.Contested, summary, accepted, persistedWithin, clock.Elapsed.TotalSeconds, cpu);
        run.Phases.Add(phase);
        Console.Error.WriteLine(FormattableString.Invariant(
            $"== {strategy} contested: {summary.AcceptedPerSecond:N0} accepted/s; server accepted {accepted:N0}, persisted {persisted:N0}{(persistedWithin is { } s ? $" within {s:F2} s of the end" : "")}"));
        JudgeContested(run, phase, persisted);
    }

    /// <summary>The contested phase's reasons to fail the run: replayed answers, acceptances the answers cannot explain, orders never persisted, server errors.</summary>
    internal static void JudgeContested(BenchRun run, PhaseResult phase, long persisted)
    {
        var (name, w) = ($"{phase.Strategy} contested", phase.Wrk);
        if (w.Accepted != w.DistinctOrderIds)
            run.Failures.Add($"{name}: {w.Accepted:N0} 202s carried {w.DistinctOrderIds:N0} distinct orderIds (replayed requestIds?)");
        if (phase.ServerAccepted is { } accepted)
        {
            // A request wrk gave up on, answered 503 after its gate timed out, or still in flight when wrk stopped (one per
            // connection at most) may have been accepted all the same.
            var unseen = w.Unanswered + w.ServerErrors + run.Settings.Wrk!.Connections;
            if (accepted < w.DistinctOrderIds)
                run.Failures.Add($"{name}: the server counts {accepted:N0} accepted units, fewer than the {w.DistinctOrderIds:N0} orders wrk was given");
            else if (accepted > w.Accepted + unseen)
                run.Failures.Add($"{name}: the server counts {accepted:N0} accepted units, {accepted - w.Accepted:N0} more than wrk's 202s; only {w.Unanswered + w.ServerErrors:N0} requests went unanswered or answered 5xx, and at most {run.Settings.Wrk.Connections:N0} were in flight when wrk stopped");
            if (phase.PersistedWithinSeconds is null)
                run.Failures.Add($"{name}: {accepted - persisted:N0} of {accepted:N0} accepted orders not persisted {PersistTimeout.TotalSeconds:N0} s after the end");
        }
        JudgeServerErrors(run, phase);
    }

    /// <summary>The sold-out phase: wrk on the race's sale, which has nothing left.</summary>
    private static async Task SoldOutAsync(BenchRun run, string strategy, ServerProcess server, string saleId, string tokensFile, WrkSettings wrk, CpuProbe probe)
    {
        var before = probe.Read();
        var clock = Stopwatch.StartNew();
        var summary = await Wrk.RunAsync(server.BaseAddress, saleId, tokensFile, wrk, $"{strategy} sold-out");
        var phase = new PhaseResult(strategy, PhaseResult.SoldOut, summary, null, null, clock.Elapsed.TotalSeconds,
            probe.Between(before, probe.Read(), new ProcessCpuUse("wrk", summary.CpuSeconds, true)));
        run.Phases.Add(phase);
        if (summary.Accepted > 0) run.Failures.Add($"{strategy} sold-out: the sold-out sale answered {summary.Accepted:N0} purchases 202");
        JudgeServerErrors(run, phase);
    }

    /// <summary>A 5xx other than 503 is a server fault and fails the run; a 503 (the gate's timeout: "try again") is
    /// reported, as wrk does not retry.</summary>
    internal static void JudgeServerErrors(BenchRun run, PhaseResult phase)
    {
        var name = $"{phase.Strategy} {phase.Phase}";
        foreach (var (status, count) in phase.Wrk.Statuses.Where(s => s.Key.StartsWith('5')))
        {
            if (status == "503") run.Notes.Add($"{name}: {count:N0} answers 503 ({Counts(phase.Wrk.Codes.Where(c => c.Key is "unavailable" or "busy" or "503"))}); wrk does not retry them");
            else run.Failures.Add($"{name}: {count:N0} answers {status}");
        }
        if (phase.Wrk.Unanswered > 0)
            run.Notes.Add($"{name}: {phase.Wrk.Unanswered:N0} requests without an answer ({Counts(phase.Wrk.Errors.Where(e => e.Key != "status" && e.Value > 0))})");
    }

    internal static string Counts(IEnumerable<KeyValuePair<string, long>>? counts) =>
        string.Join(", ", (counts ?? []).OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value:N0}")) is { Length: > 0 } text ? text : "none";

    /// <summary>
    /// Seconds until the sale is settled: nothing waits for its gate, every accepted unit is persisted, and both stay so
    /// (the same accepted count) for a quarter of a second, since a batch in the gate is not in the queue; the time is
    /// that of the first reading of the settled stretch. Null if the sale does not settle within <paramref name="timeout"/>.
    /// With a <see cref="SettleProbe"/> (the redis gate) the counts are read every 20 ms from Redis and PostgreSQL directly;
    /// otherwise from the stats endpoint every 100 ms, which counts the sale's orders (a scan per reading).
    /// </summary>
    private static async Task<double?> PersistedWithinAsync(HttpClient http, string saleId, TimeSpan timeout, SettleProbe? probe)
    {
        var clock = Stopwatch.StartNew();
        (double At, long Accepted)? settled = null;
        var id = long.Parse(saleId, CultureInfo.InvariantCulture);
        while (clock.Elapsed < timeout)
        {
            var at = clock.Elapsed.TotalSeconds;
            bool done;
            long accepted;
            if (probe is not null)
            {
                (accepted, var persisted) = await probe.ReadAsync(id);
                done = accepted == persisted;
            }
            else
            {
                var stats = await Auditor.StatsAsync(http, saleId);
                accepted = stats["accepted"]!.GetValue<long>();
                done = accepted == stats["persisted"]!.GetValue<long>() && stats["admissionQueueDepth"]!.GetValue<int>() == 0;
            }
            if (!done) settled = null;
            else if (settled is not { } s || s.Accepted != accepted) settled = (at, accepted);
            else if (clock.Elapsed.TotalSeconds - s.At >= 0.25) return s.At;
            await Task.Delay(probe is null ? 100 : 20);
        }
        return null;
    }

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
            stock, audit, ordersPerSecond, usage.PeakMiB, usage.CpuSeconds, clientCpuSeconds, perSecond, load.Latency.Buckets().ToArray(), funnel,
            load.Retries, new SortedDictionary<string, long>(load.LearnedByRetry), new SortedDictionary<string, long>(load.Unresolved));
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
