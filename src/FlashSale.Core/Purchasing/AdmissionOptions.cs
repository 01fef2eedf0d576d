using System.ComponentModel.DataAnnotations;

namespace FlashSale.Core.Purchasing;

public sealed class AdmissionOptions
{
    public const string Section = "FlashSale:Admission";

    /// <summary>Purchases waiting for the gate per sale; beyond it callers get 429 busy.</summary>
    [Range(1, 1_000_000)] public int QueueCapacity { get; set; } = 20_000;

    /// <summary>Purchases decided by one gate call.</summary>
    [Range(1, 4_096)] public int MaxBatchSize { get; set; } = 256;

    /// <summary>Gate calls in flight per sale and process.</summary>
    [Range(1, 64)] public int BatchersPerSale { get; set; } = 4;

    /// <summary>A gate call slower than this is answered 503 unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")] public TimeSpan GateTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a process trusts its sold-out flag before asking the gate again (stock can come back).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")] public TimeSpan SoldOutFlagTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A sale's lane (queue, batchers, copy of its winners) is dropped after this long without a purchase.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan LaneIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
