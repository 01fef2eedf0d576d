using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlashSale.Core.Sales;

namespace FlashSale.Bench;

/// <summary>The three reports: a console table, a JSON file, and a self-contained HTML page with SVG charts.</summary>
public static class Reports
{
    private static readonly string[] Palette = ["#0071e3", "#0a7d32", "#e4002b", "#ff9f0a", "#8e44ad", "#555"];

    /// <summary>The processes of the CPU table, in its column order.</summary>
    public static readonly string[] CpuColumns = ["server", "redis", "rabbitmq", "postgres", "wrk", "bench"];

    public static string Table(BenchRun run)
    {
        var settings = run.Settings;
        var sb = new StringBuilder();
        var bare = run.Phase(Scenarios.Bare, PhaseResult.Ceiling);
        if (bare is not null || run.BareDotnet is not null || run.RedisCeiling is not null)
        {
            sb.AppendLine("Ceilings");
            if (bare is not null)
                sb.AppendLine(CultureInfo.InvariantCulture, $"  {"bare ASP.NET Core (no auth, 202), " + settings.Wrk!.Describe(),-64} {bare.Wrk.RequestsPerSecond,9:N0} requests/s  p50 {bare.Wrk.P50Ms:N1} ms, p99 {bare.Wrk.P99Ms:N1} ms");
            if (run.BareDotnet is { } dotnet)
                sb.AppendLine(CultureInfo.InvariantCulture, $"  {$"bare ASP.NET Core, the bench's .NET client ({settings.Concurrency} in flight)",-64} {dotnet.AttemptsPerSecond,9:N0} requests/s  p50 {dotnet.P50Ms:N1} ms, p99 {dotnet.P99Ms:N1} ms{(bare is null ? "" : $"; {Ratio(dotnet.AttemptsPerSecond, bare)} × wrk's")}");
            if (run.RedisCeiling is { } redis)
                sb.AppendLine(CultureInfo.InvariantCulture, $"  {"Redis: redis-benchmark EVALSHA decide.lua, 1 purchase per call",-64} {redis.AttemptsPerSecond,9:N0} calls/s");
            sb.AppendLine();
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"Race: stock {settings.Stock:N0}, limit 1, {settings.Attempts:N0} attempts by {settings.Users:N0} users, the bench's .NET client with {settings.Concurrency} in flight; a 5xx or lost answer is sent again with the same requestId (at most {RetryPolicy.Default.MaxRetries} times); sold = the audit's persisted units, 202s = the units the client was answered 202");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"strategy",-24} {"attempts/s",10} {"p50 ms",7} {"p99 ms",8} {"p99.9 ms",9} {"max ms",7} {"sold",7} {"202s",7} {"orders/s",9} {"audit",6} {"retries",8} {"peak MiB",9} {"srv µs/att",10} {"cli µs/att",10}");
        foreach (var r in run.Races)
        {
            var audit = r.Audit is null ? "-" : r.Audit.Passed ? "ok" : "FAIL";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Strategy,-24} {r.AttemptsPerSecond,10:N0} {r.P50Ms,7:N1} {r.P99Ms,8:N1} {r.P999Ms,9:N1} {r.MaxMs,7:N0} {r.Audit?.PersistedUnits ?? 0,7:N0} {r.Audit?.AcceptedUnits ?? 0,7:N0} {r.OrdersPerSecond,9:N0} {audit,6} {r.Retries,8:N0} {r.ServerPeakMiB,9:N0} {1e6 * r.ServerCpuSeconds / Math.Max(1, r.Attempts),10:N0} {1e6 * r.ClientCpuSeconds / Math.Max(1, r.Attempts),10:N0}");
        }
        foreach (var r in run.Races.Where(r => r.Audit is { Passed: false }))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"AUDIT FAILED {r.Strategy}: oversold {r.Audit!.OversoldUnits}, users over limit {r.Audit.UsersOverLimit}, 202s without order {r.Audit.AcceptedWithoutOrder}");
        }

        var contested = run.Phases.Where(p => p.Phase == PhaseResult.Contested).ToList();
        if (contested.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Contested: {settings.Wrk!.Describe()} -s bench/wrk/purchase.lua on a sale of stock {NewSaleValidator.MaxStock:N0} and limit {NewSaleValidator.MaxPerUserLimit:N0} (every request can be accepted); × bare = accepted/s ÷ the bare ceiling's requests/s");
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"strategy",-24} {"requests/s",10} {"accepted/s",10} {"× bare",7} {"p50 ms",7} {"p90 ms",7} {"p99 ms",8} {"p99.9 ms",9} {"max ms",7} {"persisted within",17}  other answers");
            foreach (var p in contested)
            {
                var within = p.PersistedWithinSeconds is { } s ? s.ToString("N2", CultureInfo.InvariantCulture) + " s" : "never";
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"{p.Strategy,-24} {p.Wrk.RequestsPerSecond,10:N0} {p.Wrk.AcceptedPerSecond,10:N0} {Ratio(p.Wrk.AcceptedPerSecond, bare),7} {p.Wrk.P50Ms,7:N1} {p.Wrk.P90Ms,7:N1} {p.Wrk.P99Ms,8:N1} {p.Wrk.P999Ms,9:N1} {p.Wrk.MaxMs,7:N0} {within,17}  {Scenarios.Counts(p.Wrk.Codes)}");
            }
        }
        var soldOut = run.Phases.Where(p => p.Phase == PhaseResult.SoldOut).ToList();
        if (soldOut.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Sold out: {settings.Wrk!.Describe()} -s bench/wrk/purchase.lua on the race's sale, after it sold out; × bare = requests/s ÷ the bare ceiling's");
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"strategy",-24} {"requests/s",10} {"× bare",7} {"p50 ms",7} {"p99 ms",8} {"p99.9 ms",9} {"max ms",7}  answers");
            foreach (var p in soldOut)
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"{p.Strategy,-24} {p.Wrk.RequestsPerSecond,10:N0} {Ratio(p.Wrk.RequestsPerSecond, bare),7} {p.Wrk.P50Ms,7:N1} {p.Wrk.P99Ms,8:N1} {p.Wrk.P999Ms,9:N1} {p.Wrk.MaxMs,7:N0}  {Scenarios.Counts(p.Wrk.Codes.Concat(p.Wrk.Statuses.Where(s => s.Key == "202").Select(s => KeyValuePair.Create("accepted", s.Value))))}");
            }
        }
        if (run.Phases.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("CPU time per accepted purchase (contested: from wrk's start until every order is persisted) and per request (sold-out, bare), µs; wrk and bench are the load client");
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"strategy",-24} {"phase",-10} {string.Join(" ", CpuColumns.Select(c => $"{c,8}"))} {"total",8} {"w/o client",10}");
            foreach (var p in run.Phases)
            {
                var cells = CpuColumns.Select(c => p.MicrosPerUnit(c) is { } us ? us.ToString("N1", CultureInfo.InvariantCulture) : "-");
                sb.AppendLine(CultureInfo.InvariantCulture, $"{p.Strategy,-24} {p.Phase,-10} {string.Join(" ", cells.Select(c => $"{c,8}"))} {p.TotalMicros(true),8:N1} {p.TotalMicros(false),10:N1}");
            }
        }

        var targets = Targets(run);
        if (targets.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Targets (all from this run)");
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"target",-78} {"measured",10} {"target",10}  result");
            foreach (var t in targets) sb.AppendLine(CultureInfo.InvariantCulture, $"{t.Name,-78} {t.MeasuredText,10} {t.TargetText,10}  {t.Verdict}");
        }
        if (run.Notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Notes");
            foreach (var note in run.Notes) sb.AppendLine("  " + note);
        }
        return sb.ToString();
    }

    private static string Ratio(double value, PhaseResult? bare) =>
        bare is null || bare.Wrk.RequestsPerSecond <= 0 ? "-" : (value / bare.Wrk.RequestsPerSecond).ToString("N2", CultureInfo.InvariantCulture);

    /// <summary>The issue's targets, each measured in this one run: ratios to the bare ceiling and to the pessimistic baseline, CPU, P99, persistence.</summary>
    public static List<Target> Targets(BenchRun run)
    {
        var list = new List<Target>();
        var bare = run.Phase(Scenarios.Bare, PhaseResult.Ceiling);
        var redis = run.Phase("redis", PhaseResult.Contested);
        var redisSoldOut = run.Phase("redis", PhaseResult.SoldOut);
        var embedded = run.Phase("embedded", PhaseResult.Contested);
        var pessimistic = run.Phase("database-pessimistic", PhaseResult.Contested);
        double? PerBare(double value) => bare is { Wrk.RequestsPerSecond: > 0 } ? value / bare.Wrk.RequestsPerSecond : null;
        if (redis is not null && bare is not null) list.Add(new Target("redis contested: accepted/s ÷ bare requests/s", PerBare(redis.Wrk.AcceptedPerSecond), "×", ">=", 0.5));
        if (redisSoldOut is not null && bare is not null) list.Add(new Target("redis after sell-out: requests/s ÷ bare requests/s", PerBare(redisSoldOut.Wrk.RequestsPerSecond), "×", ">=", 1.0));
        if (embedded is not null && bare is not null) list.Add(new Target("embedded contested: accepted/s ÷ bare requests/s", PerBare(embedded.Wrk.AcceptedPerSecond), "×", ">=", 0.6));
        foreach (var p in new[] { redis, embedded }.OfType<PhaseResult>())
        {
            list.Add(new Target($"{p.Strategy} contested: CPU per accepted purchase, all processes but the load client", p.TotalMicros(false), "µs", "<=", 100));
            list.Add(new Target($"{p.Strategy} contested: P99 latency", p.Wrk.P99Ms, "ms", "<", 50));
            list.Add(new Target($"{p.Strategy} contested: every order persisted within (from the end of the burst)", p.PersistedWithinSeconds, "s", "<=", 2));
        }
        if (redis is not null && pessimistic is not null)
            list.Add(new Target("redis ÷ database-pessimistic, contested accepted/s", pessimistic.Wrk.AcceptedPerSecond > 0 ? redis.Wrk.AcceptedPerSecond / pessimistic.Wrk.AcceptedPerSecond : null, "×", ">=", 15.7));
        return list;
    }

    public static string Json(BenchRun run, string commit)
    {
        var options = new JsonSerializerOptions { WriteIndented = true, IncludeFields = true };
        var bare = run.Phase(Scenarios.Bare, PhaseResult.Ceiling);
        return new JsonObject
        {
            ["commit"] = commit,
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["settings"] = JsonSerializer.SerializeToNode(run.Settings, options),
            ["ceilings"] = new JsonObject
            {
                ["bareWrkRequestsPerSecond"] = bare?.Wrk.RequestsPerSecond,
                ["bareDotnetRequestsPerSecond"] = run.BareDotnet?.AttemptsPerSecond,
                ["redisBenchmarkCallsPerSecond"] = run.RedisCeiling?.AttemptsPerSecond,
            },
            ["targets"] = new JsonArray(Targets(run).Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["measured"] = t.Measured,
                ["unit"] = t.Unit,
                ["comparison"] = t.Comparison,
                ["target"] = t.Threshold,
                ["met"] = t.Met,
                ["result"] = t.Verdict,
            }).ToArray()),
            ["strategies"] = JsonSerializer.SerializeToNode(run.Races.Select(r => r with { LatencyBuckets = [] }).ToArray(), options),
            ["bareDotnet"] = run.BareDotnet is null ? null : JsonSerializer.SerializeToNode(run.BareDotnet with { LatencyBuckets = [] }, options),
            ["redisCeiling"] = run.RedisCeiling is null ? null : JsonSerializer.SerializeToNode(run.RedisCeiling, options),
            ["phases"] = new JsonArray(run.Phases.Select(p => (JsonNode)new JsonObject
            {
                ["strategy"] = p.Strategy,
                ["phase"] = p.Phase,
                ["requests"] = p.Wrk.Requests,
                ["seconds"] = p.Wrk.Seconds,
                ["requestsPerSecond"] = p.Wrk.RequestsPerSecond,
                ["accepted"] = p.Wrk.Accepted,
                ["acceptedPerSecond"] = p.Wrk.AcceptedPerSecond,
                ["distinctOrderIds"] = p.Wrk.DistinctOrderIds,
                ["statuses"] = JsonSerializer.SerializeToNode(p.Wrk.Statuses, options),
                ["codes"] = JsonSerializer.SerializeToNode(p.Wrk.Codes, options),
                ["errors"] = JsonSerializer.SerializeToNode(p.Wrk.Errors, options),
                ["latencyMs"] = new JsonObject { ["p50"] = p.Wrk.P50Ms, ["p90"] = p.Wrk.P90Ms, ["p99"] = p.Wrk.P99Ms, ["p99.9"] = p.Wrk.P999Ms, ["max"] = p.Wrk.MaxMs },
                ["serverAccepted"] = p.ServerAccepted,
                ["persistedWithinSeconds"] = p.PersistedWithinSeconds,
                ["cpuWindowSeconds"] = p.CpuWindowSeconds,
                ["cpuUnit"] = p.UnitName,
                ["cpu"] = new JsonArray(p.Cpu.Select(c => (JsonNode)new JsonObject
                {
                    ["process"] = c.Process,
                    ["seconds"] = c.Seconds,
                    ["loadClient"] = c.LoadClient,
                    ["microsPerUnit"] = p.MicrosPerUnit(c.Process),
                }).ToArray()),
                ["cpuMicrosPerUnit"] = p.TotalMicros(true),
                ["cpuMicrosPerUnitWithoutLoadClient"] = p.TotalMicros(false),
                ["wrkOutput"] = p.Wrk.Output,
            }).ToArray()),
            ["failures"] = new JsonArray(run.Failures.Select(f => (JsonNode)JsonValue.Create(f)).ToArray()),
            ["notes"] = new JsonArray(run.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The charts as standalone SVG files (for docs/), by file name.</summary>
    public static Dictionary<string, string> Charts(BenchRun run)
    {
        var runs = run.Races.Where(r => r.AttemptsPerSecondTimeline.Length > 0).ToList();
        var charts = new Dictionary<string, string>
        {
            ["throughput.svg"] = LineChart(runs.Select(r => (r.Strategy, r.AttemptsPerSecondTimeline.Select((v, i) => (i * 0.1, v)).ToArray())).ToList(), "s", "attempts/s", logY: false),
            ["latency.svg"] = LineChart(runs.Select(r => (r.Strategy, Percentiles(r))).ToList(), "percentile: 0 = p0, 1 = p90, 2 = p99, 3 = p99.9", "ms", logY: true),
        };
        foreach (var r in runs.Where(r => r.Funnel is not null)) charts[$"funnel-{r.Strategy}.svg"] = FunnelBars(r.Funnel!);
        return charts;
    }

    public static string Html(BenchRun run, string commit, string table)
    {
        var runs = run.Races.Where(r => r.AttemptsPerSecondTimeline.Length > 0).ToList();
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html lang=en><meta charset=utf-8><title>FlashSale benchmark</title><style>body{font:14px system-ui,sans-serif;max-width:1000px;margin:24px auto;padding:0 12px;color:#1d1d1f}pre{background:#f5f5f7;padding:12px;overflow:auto;font-size:12px}svg{background:#fff;border:1px solid #ddd;border-radius:8px}table.cpu{border-collapse:collapse;font-size:12px}table.cpu td,table.cpu th{border:1px solid #ddd;padding:3px 6px;text-align:right}table.cpu td:first-child,table.cpu th:first-child{text-align:left}.l i{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style>");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>FlashSale benchmark</h1><p>commit <code>{WebUtility.HtmlEncode(commit)}</code>, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:u}</p>");
        sb.Append("<h2>Results</h2><pre>").Append(WebUtility.HtmlEncode(table)).Append("</pre>");
        if (run.Failures.Count > 0)
        {
            sb.Append("<h2>Why the run failed</h2><ul>");
            foreach (var failure in run.Failures) sb.Append("<li>").Append(WebUtility.HtmlEncode(failure)).Append("</li>");
            sb.Append("</ul>");
        }
        if (run.Phases.Count > 0)
        {
            sb.Append("<h2>CPU time per process</h2><p>µs per accepted purchase (contested phase, from wrk's start until every order is persisted) and per request (sold-out phase, bare ceiling); wrk and bench are the load client.</p>");
            sb.Append("<table class=cpu><tr><th>strategy</th><th>phase</th>");
            foreach (var c in CpuColumns) sb.Append("<th>").Append(c).Append("</th>");
            sb.Append("<th>total</th><th>without the load client</th></tr>");
            foreach (var p in run.Phases)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{WebUtility.HtmlEncode(p.Strategy)}</td><td>{p.Phase}</td>");
                foreach (var c in CpuColumns) sb.Append("<td>").Append(p.MicrosPerUnit(c) is { } us ? us.ToString("N1", CultureInfo.InvariantCulture) : "–").Append("</td>");
                sb.Append(CultureInfo.InvariantCulture, $"<td>{p.TotalMicros(true):N1}</td><td>{p.TotalMicros(false):N1}</td></tr>");
            }
            sb.Append("</table>");
        }
        var targets = Targets(run);
        if (targets.Count > 0)
        {
            sb.Append("<h2>Targets</h2><table class=cpu><tr><th>target</th><th>measured</th><th>target</th><th>result</th></tr>");
            foreach (var t in targets)
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{WebUtility.HtmlEncode(t.Name)}</td><td>{WebUtility.HtmlEncode(t.MeasuredText)}</td><td>{WebUtility.HtmlEncode(t.TargetText)}</td><td>{WebUtility.HtmlEncode(t.Verdict)}</td></tr>");
            }
            sb.Append("</table>");
        }
        sb.Append("<h2>Race: throughput over time (attempts/s, 100 ms slices)</h2>").Append(LineChart(runs.Select(r => (r.Strategy, r.AttemptsPerSecondTimeline.Select((v, i) => (i * 0.1, v)).ToArray())).ToList(), "s", "attempts/s", logY: false));
        sb.Append("<h2>Race: latency distribution (percentile → ms)</h2>").Append(LineChart(runs.Select(r => (r.Strategy, Percentiles(r))).ToList(), "percentile (log scale of 1/(1-p))", "ms", logY: true));
        foreach (var r in runs.Where(r => r.Funnel is not null)) sb.Append(CultureInfo.InvariantCulture, $"<h2>Funnel: {WebUtility.HtmlEncode(r.Strategy)}</h2>").Append(FunnelBars(r.Funnel!));
        sb.Append("</html>");
        return sb.ToString();
    }

    private static (double X, double Y)[] Percentiles(StrategyResult r)
    {
        var total = r.LatencyBuckets.Sum(b => b.Count);
        long seen = 0;
        var points = new List<(double, double)>();
        foreach (var (upper, count) in r.LatencyBuckets)
        {
            seen += count;
            var p = (double)seen / total;
            points.Add((Math.Log10(1 / Math.Max(1e-5, 1 - p + 1e-9)), upper / 1000.0));
        }
        return points.ToArray();
    }

    internal static string LineChart(List<(string Name, (double X, double Y)[] Points)> series, string xLabel, string yLabel, bool logY)
    {
        const int w = 960, h = 320, pad = 50;
        var all = series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0) return "<p>no data</p>";
        double Y(double v) => logY ? Math.Log10(Math.Max(0.01, v)) : v;
        var maxX = Math.Max(1e-9, all.Max(p => p.X));
        var minY = logY ? all.Min(p => Y(p.Y)) : 0;
        var maxY = Math.Max(minY + 1e-9, all.Max(p => Y(p.Y)));
        var sb = new StringBuilder(FormattableString.Invariant($"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}' width='100%' font-family='sans-serif'><rect width='100%' height='100%' fill='white'/>"));
        for (var i = 0; i <= 4; i++)
        {
            var yv = minY + (maxY - minY) * i / 4;
            var y = h - pad - (h - 2 * pad) * i / 4.0;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1='{pad}' x2='{w - 10}' y1='{y:F1}' y2='{y:F1}' stroke='#eee'/><text x='4' y='{y + 4:F1}' font-size='11'>{(logY ? Math.Pow(10, yv) : yv):G3}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x='{w / 2}' y='{h - 8}' font-size='12'>{xLabel}</text><text x='4' y='14' font-size='12'>{yLabel}</text>");
        for (var k = 0; k < series.Count; k++)
        {
            var points = string.Join(' ', series[k].Points.Select(p =>
                FormattableString.Invariant($"{pad + (w - pad - 10) * p.X / maxX:F1},{h - pad - (h - 2 * pad) * (Y(p.Y) - minY) / (maxY - minY):F1}")));
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill='none' stroke='{Palette[k % Palette.Length]}' stroke-width='1.5' points='{points}'/>");
        }
        // The legend inside the picture, so the SVG stands alone in docs/.
        var x = pad;
        for (var k = 0; k < series.Count; k++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x='{x}' y='22' width='10' height='10' fill='{Palette[k % Palette.Length]}'/><text x='{x + 14}' y='31' font-size='11'>{WebUtility.HtmlEncode(series[k].Name)}</text>");
            x += 20 + 7 * series[k].Name.Length;
        }
        return sb.Append("</svg>").ToString();
    }

    private static string FunnelBars(JsonObject funnel)
    {
        var layers = funnel["layers"]!.AsArray().Select(l => l!).ToList();
        var top = Math.Max(1, layers[0]["arrived"]!.GetValue<long>());
        var sb = new StringBuilder($"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 960 {layers.Count * 26 + 10}' width='100%' font-family='sans-serif'><rect width='100%' height='100%' fill='white'/>");
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            var arrived = l["arrived"]!.GetValue<long>();
            var stopped = l["stopped"]!.GetValue<long>();
            var y = 5 + i * 26;
            sb.Append(CultureInfo.InvariantCulture, $"<text x='0' y='{y + 14}' font-size='12'>{l["layer"]}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x='110' y='{y}' width='{600.0 * arrived / top:F1}' height='18' fill='#0071e3'/>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x='110' y='{y}' width='{600.0 * stopped / top:F1}' height='18' fill='#e4002b'/>");
            var codes = string.Join(", ", l["stoppedBy"]!.AsObject().Select(kv => $"{kv.Key} {kv.Value}"));
            sb.Append(CultureInfo.InvariantCulture, $"<text x='720' y='{y + 14}' font-size='11'>{arrived:N0} in, {stopped:N0} stopped {WebUtility.HtmlEncode(codes)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }
}

/// <summary>One target of the issue, measured in the run: its value, the bound, and whether and by how much it was met.</summary>
/// <param name="Comparison">"&gt;=", "&lt;=" or "&lt;".</param>
public sealed record Target(string Name, double? Measured, string Unit, string Comparison, double Threshold)
{
    public bool Met => Measured is { } m && Comparison switch { ">=" => m >= Threshold, "<=" => m <= Threshold, _ => m < Threshold };

    public string MeasuredText => Measured is { } m ? Format(m) : "none";
    public string TargetText => $"{Comparison} {Format(Threshold)}";

    /// <summary>"met", or "MISSED by" how far the measure is from the bound, absolute and as a share of the bound.</summary>
    public string Verdict
    {
        get
        {
            if (Measured is not { } m) return "MISSED (not reached in this run)";
            var gap = Math.Abs(m - Threshold);
            var share = Threshold == 0 ? "" : FormattableString.Invariant($" ({100 * gap / Threshold:N0} %)");
            return Met ? $"met, by {Format(gap)}{share}" : $"MISSED by {Format(gap)}{share}";
        }
    }

    private string Format(double value) => Unit switch
    {
        "×" => value.ToString("N2", CultureInfo.InvariantCulture) + " ×",
        "µs" => value.ToString("N0", CultureInfo.InvariantCulture) + " µs",
        _ => value.ToString("N2", CultureInfo.InvariantCulture) + " " + Unit,
    };
}
