using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace FlashSale.Core.Telemetry;

/// <summary>The reconciler's meter: runs by status, and the differences of each sale's latest report.</summary>
public sealed class ReconciliationMetrics
{
    public const string Error = "error";

    /// <summary>Sales whose latest count is kept; past it the oldest is forgotten (a bounded label set).</summary>
    public const int MaxSales = 256;

    private readonly Counter<long> _runs;
    private readonly ConcurrentDictionary<long, (int Differences, long At)> _latest = new();
    private long _clock;

    public ReconciliationMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(FlashSaleMeters.Reconciliation);
        _runs = Meter.CreateCounter<long>("flashsale.reconciliation.runs", "{run}", "Reconciliation runs, by the report's status");
        Meter.CreateObservableGauge("flashsale.reconciliation.differences", Observe, "{difference}",
            "Differences in the sale's latest reconciliation report");
    }

    public Meter Meter { get; }

    public void Ran(long saleId, string status, int differences)
    {
        _runs.Add(1, new KeyValuePair<string, object?>("status", status));
        _latest[saleId] = (differences, Interlocked.Increment(ref _clock));
        if (_latest.Count <= MaxSales) return;
        foreach (var (oldest, _) in _latest.OrderBy(s => s.Value.At).Take(_latest.Count - MaxSales)) _latest.TryRemove(oldest, out _);
    }

    public void Failed() => _runs.Add(1, new KeyValuePair<string, object?>("status", Error));

    private IEnumerable<Measurement<int>> Observe() =>
        _latest.Select(s => new Measurement<int>(s.Value.Differences, new KeyValuePair<string, object?>("sale", s.Key.ToString(CultureInfo.InvariantCulture))));
}
