using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using FlashSale.Core.Reconciliation;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Telemetry;

/// <summary>
/// The reconciler's meter: runs by status, and the differences of each sale's latest report. A count is shown for two
/// reconciliation intervals after its run: the worker reconciles every sale it watches each interval, so its count
/// stays fresh, while one from an on-demand run (or of a sale no longer watched) goes away instead of outliving its fix.
/// </summary>
public sealed class ReconciliationMetrics
{
    public const string Error = "error";

    /// <summary>Sales whose latest count is kept; past it the oldest is forgotten (a bounded label set).</summary>
    public const int MaxSales = 256;

    private readonly Counter<long> _runs;
    private readonly ConcurrentDictionary<long, (int Differences, DateTimeOffset At)> _latest = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _shownFor;

    public ReconciliationMetrics(IMeterFactory meters, TimeProvider time, IOptions<ReconciliationOptions> options)
    {
        _time = time;
        _shownFor = options.Value.Interval * 2;
        Meter = meters.Create(FlashSaleMeters.Reconciliation);
        _runs = Meter.CreateCounter<long>("flashsale.reconciliation.runs", "{run}", "Reconciliation runs, by the report's status");
        Meter.CreateObservableGauge("flashsale.reconciliation.differences", Observe, "{difference}",
            "Differences in the sale's latest reconciliation report (shown for two reconciliation intervals)");
    }

    public Meter Meter { get; }

    public void Ran(long saleId, string status, int differences)
    {
        _runs.Add(1, new KeyValuePair<string, object?>("status", status));
        _latest[saleId] = (differences, _time.GetUtcNow());
        if (_latest.Count <= MaxSales) return;
        foreach (var (oldest, _) in _latest.OrderBy(s => s.Value.At).Take(_latest.Count - MaxSales)) _latest.TryRemove(oldest, out _);
    }

    public void Failed() => _runs.Add(1, new KeyValuePair<string, object?>("status", Error));

    private IEnumerable<Measurement<int>> Observe()
    {
        var since = _time.GetUtcNow() - _shownFor;
        foreach (var (saleId, latest) in _latest)
        {
            if (latest.At < since) _latest.TryRemove(saleId, out _);
            else yield return new Measurement<int>(latest.Differences, new KeyValuePair<string, object?>("sale", saleId.ToString(CultureInfo.InvariantCulture)));
        }
    }
}
