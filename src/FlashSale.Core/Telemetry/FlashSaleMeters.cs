namespace FlashSale.Core.Telemetry;

/// <summary>
/// The names of FlashSale's meters, one per area. Every meter is made by the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>,
/// so two servers in one process (the in-process tests) never count into each other.
/// </summary>
public static class FlashSaleMeters
{
    public const string Purchasing = "FlashSale.Purchasing";
    public const string Gate = "FlashSale.Gate";
    public const string Sales = "FlashSale.Sales";
    public const string Pipeline = "FlashSale.Pipeline";
    public const string Orders = "FlashSale.Orders";
    public const string Reconciliation = "FlashSale.Reconciliation";
    public const string Dependencies = "FlashSale.Dependencies";

    /// <summary>What every FlashSale meter's name starts with.</summary>
    public const string Prefix = "FlashSale.";

    /// <summary>Seconds between two <see cref="System.Diagnostics.Stopwatch"/> timestamps.</summary>
    public static double SecondsSince(long startTimestamp) => System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    /// <summary>Bucket bounds for request-scale durations, in seconds: 0.5 ms to 10 s.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bucket bounds for pipeline delays, in seconds: 5 ms to 5 minutes.</summary>
    public static readonly IReadOnlyList<double> LagBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
}
