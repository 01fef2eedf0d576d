using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlashSale.Bench;

/// <summary>The three reports: a console table, a JSON file, and a self-contained HTML page with SVG charts.</summary>
public static class Reports
{
    private static readonly string[] Palette = ["#0071e3", "#0a7d32", "#e4002b", "#ff9f0a", "#8e44ad", "#555"];

    public static string Table(IReadOnlyList<StrategyResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"strategy",-44} {"attempts/s",11} {"contested/s",11} {"sold-out/s",11} {"p50 ms",8} {"p99 ms",8} {"p99.9 ms",9} {"max ms",8} {"sold",7} {"orders/s",9} {"audit",6} {"peak MiB",9} {"srv µs/att",10} {"cli µs/att",10}");
        foreach (var r in results)
        {
            var audit = r.Audit is null ? "-" : r.Audit.Passed ? "ok" : "FAIL";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Strategy,-44} {r.AttemptsPerSecond,11:N0} {r.ContestedPerSecond,11:N0} {r.AfterSellOutPerSecond,11:N0} {r.P50Ms,8:N1} {r.P99Ms,8:N1} {r.P999Ms,9:N1} {r.MaxMs,8:N0} {r.Audit?.AcceptedUnits ?? 0,7:N0} {r.OrdersPerSecond,9:N0} {audit,6} {r.ServerPeakMiB,9:N0} {1e6 * r.ServerCpuSeconds / Math.Max(1, r.Attempts),10:N0} {1e6 * r.ClientCpuSeconds / Math.Max(1, r.Attempts),10:N0}");
        }
        var ratios = Ratios(results);
        if (ratios.Count > 0)
        {
            sb.AppendLine();
            foreach (var (name, value, target) in ratios) sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-58} {value,8:N2}   target {target}");
        }
        foreach (var r in results.Where(r => r.Audit is { Passed: false }))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"AUDIT FAILED {r.Strategy}: oversold {r.Audit!.OversoldUnits}, users over limit {r.Audit.UsersOverLimit}, 202s without order {r.Audit.AcceptedWithoutOrder}");
        }
        return sb.ToString();
    }

    /// <summary>The issue's targets, as ratios measured in this one run.</summary>
    public static List<(string Name, double Value, string Target)> Ratios(IReadOnlyList<StrategyResult> results)
    {
        StrategyResult? Find(string prefix) => results.FirstOrDefault(r => r.Strategy.StartsWith(prefix, StringComparison.Ordinal));
        var list = new List<(string, double, string)>();
        var ceiling = Find("http-ceiling");
        var redis = Find("redis");
        var embedded = Find("embedded");
        var pessimistic = Find("database-pessimistic");
        if (ceiling is not null && redis is not null)
        {
            list.Add(("redis contested / HTTP ceiling", redis.ContestedPerSecond / ceiling.AttemptsPerSecond, ">= 0.5"));
            list.Add(("redis after sell-out / HTTP ceiling", redis.AfterSellOutPerSecond / ceiling.AttemptsPerSecond, ">= 0.85"));
        }
        if (ceiling is not null && embedded is not null) list.Add(("embedded / HTTP ceiling", embedded.AttemptsPerSecond / ceiling.AttemptsPerSecond, ">= 0.7"));
        if (redis is not null && pessimistic is not null)
        {
            list.Add(("redis / database-pessimistic, contested attempts/s", redis.ContestedPerSecond / Math.Max(1e-9, pessimistic.ContestedPerSecond), ">= 15.7 (reference design: 800 -> 12,500 QPS)"));
            list.Add(("redis / database-pessimistic, whole run attempts/s", redis.AttemptsPerSecond / pessimistic.AttemptsPerSecond, "(context)"));
            list.Add(("PostgreSQL persistence (redis) / pessimistic orders/s", redis.OrdersPerSecond / Math.Max(1e-9, pessimistic.OrdersPerSecond), ">= 10"));
            list.Add(("redis p99 ms", redis.P99Ms, "< 100"));
        }
        return list;
    }

    public static string Json(IReadOnlyList<StrategyResult> results, string commit) =>
        new JsonObject
        {
            ["commit"] = commit,
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["ratios"] = new JsonArray(Ratios(results).Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["value"] = r.Value, ["target"] = r.Target }).ToArray()),
            ["strategies"] = JsonSerializer.SerializeToNode(results.Select(r => r with { LatencyBuckets = [] }).ToArray(), new JsonSerializerOptions { WriteIndented = true, IncludeFields = true }),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The charts as standalone SVG files (for docs/), by file name.</summary>
    public static Dictionary<string, string> Charts(IReadOnlyList<StrategyResult> results)
    {
        var runs = results.Where(r => r.AttemptsPerSecondTimeline.Length > 0).ToList();
        var charts = new Dictionary<string, string>
        {
            ["throughput.svg"] = LineChart(runs.Select(r => (r.Strategy, r.AttemptsPerSecondTimeline.Select((v, i) => (i * 0.1, v)).ToArray())).ToList(), "s", "attempts/s", logY: false),
            ["latency.svg"] = LineChart(runs.Select(r => (r.Strategy, Percentiles(r))).ToList(), "percentile: 0 = p0, 1 = p90, 2 = p99, 3 = p99.9", "ms", logY: true),
        };
        foreach (var r in runs.Where(r => r.Funnel is not null)) charts[$"funnel-{r.Strategy}.svg"] = FunnelBars(r.Funnel!);
        return charts;
    }

    public static string Html(IReadOnlyList<StrategyResult> results, string commit, string table)
    {
        var runs = results.Where(r => r.AttemptsPerSecondTimeline.Length > 0).ToList();
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html lang=en><meta charset=utf-8><title>FlashSale benchmark</title><style>body{font:14px system-ui,sans-serif;max-width:1000px;margin:24px auto;padding:0 12px;color:#1d1d1f}pre{background:#f5f5f7;padding:12px;overflow:auto;font-size:12px}svg{background:#fff;border:1px solid #ddd;border-radius:8px}.l i{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style>");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>FlashSale benchmark</h1><p>commit <code>{WebUtility.HtmlEncode(commit)}</code>, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:u}</p>");
        sb.Append("<h2>Results</h2><pre>").Append(WebUtility.HtmlEncode(table)).Append("</pre>");
        sb.Append("<h2>Throughput over time (attempts/s, 100 ms slices)</h2>").Append(LineChart(runs.Select(r => (r.Strategy, r.AttemptsPerSecondTimeline.Select((v, i) => (i * 0.1, v)).ToArray())).ToList(), "s", "attempts/s", logY: false));
        sb.Append("<h2>Latency distribution (percentile → ms)</h2>").Append(LineChart(runs.Select(r => (r.Strategy, Percentiles(r))).ToList(), "percentile (log scale of 1/(1-p))", "ms", logY: true));
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
