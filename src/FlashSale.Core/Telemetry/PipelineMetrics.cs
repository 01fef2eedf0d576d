using System.Diagnostics.Metrics;

namespace FlashSale.Core.Telemetry;

/// <summary>The order pipeline's meter: units accepted, persisted, failed and returned, and the delay to the database.</summary>
public sealed class PipelineMetrics
{
    /// <summary>Why units went back: an order that could not be written, or a cancelled one.</summary>
    public const string FailedOrder = "failed", CancelledOrder = "cancelled";

    private readonly Counter<long> _accepted, _persisted, _failed, _returned;
    private readonly Histogram<double> _persistenceLag;

    public PipelineMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(FlashSaleMeters.Pipeline);
        _accepted = Meter.CreateCounter<long>("flashsale.units.accepted", "{unit}", "Units the gate accepted through this process");
        _persisted = Meter.CreateCounter<long>("flashsale.units.persisted", "{unit}", "Units written to the database as orders");
        _failed = Meter.CreateCounter<long>("flashsale.units.failed", "{unit}", "Units of orders that could not be written (their stock goes back)");
        _returned = Meter.CreateCounter<long>("flashsale.units.returned", "{unit}", "Units given back to the gate, by why");
        _persistenceLag = Meter.CreateHistogram("flashsale.persistence.lag", "s", "From a purchase's acceptance to its order's row in the database",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FlashSaleMeters.LagBuckets });
    }

    public Meter Meter { get; }

    public void Accepted(int units) => _accepted.Add(units);

    public void Persisted(int units, TimeSpan sinceAccepted)
    {
        _persisted.Add(units);
        _persistenceLag.Record(Math.Max(0, sinceAccepted.TotalSeconds));
    }

    public void Failed(int units) => _failed.Add(units);

    /// <summary>Units back in the gate; <paramref name="reason"/>: <see cref="FailedOrder"/> or <see cref="CancelledOrder"/>.</summary>
    public void Returned(int units, string reason) => _returned.Add(units, new KeyValuePair<string, object?>("reason", reason));
}
