using System.ComponentModel.DataAnnotations;

namespace FlashSale.Core.Reconciliation;

public sealed class ReconciliationOptions
{
    public const string Section = "FlashSale:Reconciliation";

    /// <summary>Whether the worker role reconciles on its own (off for a benchmark that must not be disturbed).</summary>
    public bool Periodic { get; set; } = true;

    /// <summary>How often the worker reconciles each sale (read-only while it runs, with repair once ended and drained).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An accepted intent younger than this that is not in the database yet counts as in flight even when
    /// the ledger and queue are empty (the writer may hold it unacknowledged).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")] public TimeSpan InFlightGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after its end a sale is still reconciled by the worker.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")] public TimeSpan WatchAfterEnd { get; set; } = TimeSpan.FromHours(1);
}
