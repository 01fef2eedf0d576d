using System.Diagnostics.Metrics;

namespace FlashSale.Core.Telemetry;

/// <summary>The funnel's meter: every purchase answer by code and by the layer that gave it, and how long it took.</summary>
public sealed class PurchaseMetrics
{
    private readonly Counter<long> _answers;
    private readonly Histogram<double> _duration;

    public PurchaseMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(FlashSaleMeters.Purchasing);
        _answers = Meter.CreateCounter<long>("flashsale.purchase.answers", "{answer}",
            "Purchase answers, by answer code and by the funnel layer that gave it");
        _duration = Meter.CreateHistogram("flashsale.purchase.duration", "s",
            "Time from a purchase's arrival in the funnel to its answer",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FlashSaleMeters.LatencyBuckets });
    }

    public Meter Meter { get; }

    /// <summary>One answer; <paramref name="code"/> and <paramref name="layer"/> are constants, so this allocates nothing.</summary>
    public void Answered(string code, string layer) =>
        _answers.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("layer", layer));

    public void Took(string code, long startTimestamp) =>
        _duration.Record(FlashSaleMeters.SecondsSince(startTimestamp), new KeyValuePair<string, object?>("code", code));
}
