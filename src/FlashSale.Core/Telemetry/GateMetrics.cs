using System.Diagnostics.Metrics;

namespace FlashSale.Core.Telemetry;

/// <summary>The stock gate's meter: calls by result, purchases decided per call, time per call.</summary>
public sealed class GateMetrics
{
    public const string Decided = "decided", Failed = "failed", TimedOut = "timed_out";

    private readonly Counter<long> _calls;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _duration;

    public GateMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(FlashSaleMeters.Gate);
        _calls = Meter.CreateCounter<long>("flashsale.gate.calls", "{call}", "Calls to the stock gate, by result");
        _batchSize = Meter.CreateHistogram("flashsale.gate.batch_size", "{purchase}", "Purchases decided per gate call",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _duration = Meter.CreateHistogram("flashsale.gate.call.duration", "s", "Time of one gate call",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FlashSaleMeters.LatencyBuckets });
    }

    public Meter Meter { get; }

    public void Called(string result, int batchSize, long startTimestamp)
    {
        _calls.Add(1, new KeyValuePair<string, object?>("result", result));
        _batchSize.Record(batchSize);
        _duration.Record(FlashSaleMeters.SecondsSince(startTimestamp));
    }
}
