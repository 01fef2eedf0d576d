using System.ComponentModel.DataAnnotations;
using FlashSale.Core.Workers;

namespace FlashSale.Core.Pipeline;

public sealed class PipelineOptions
{
    public const string Section = "FlashSale:Pipeline";

    private static readonly TimeSpan MaxCompensationDelay = TimeSpan.FromMinutes(1);
    private static readonly Backoff RelayFailureBackoff = Backoff.Linear(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
    private static readonly Backoff UnreachableDatabaseBackoff = Backoff.Linear(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    /// <summary>Ledger entries moved to the queue per read.</summary>
    [Range(1, 10_000)] public int RelayBatchSize { get; set; } = 500;

    /// <summary>Pause of the relay after a pass that drained every ledger (no read was full): what is accepted meanwhile goes in the next read.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")] public TimeSpan RelayIdleDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Orders written per database transaction.</summary>
    [Range(1, 10_000)] public int WriterBatchSize { get; set; } = 500;

    /// <summary>How long the writer waits to fill a batch once one message is there.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")] public TimeSpan WriterBatchWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Deliveries of a message the database keeps refusing before it is dead-lettered and compensated.</summary>
    [Range(1, 100)] public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>First retry delay of a refused message; doubles per attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")] public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Deadline of one remote call outside the purchase path (relay read, publish and its confirms, ack;
    /// order lookup): a stalled server or a half-open connection fails the call instead of holding it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")] public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the compensation sweeper looks for failed orders whose stock and quota are not back in the gate yet.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")] public TimeSpan CompensationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed orders read per page by the compensation sweeper.</summary>
    [Range(1, 10_000)] public int CompensationBatchSize { get; set; } = 100;

    /// <summary>How often the worker drops persisted entries from the ledger.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")] public TimeSpan LedgerTrimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Ledger entries looked up in the database per query of a trim.</summary>
    [Range(1, 100_000)] public int LedgerTrimBatchSize { get; set; } = 1_000;

    /// <summary>Pages of <see cref="LedgerTrimBatchSize"/> looked at per sale and pass (bounds a pass while the database lags).</summary>
    [Range(1, 10_000)] public int LedgerTrimPagesPerSale { get; set; } = 20;

    /// <summary>The wait before a refused message is delivered again, after <paramref name="attempt"/> earlier deliveries:
    /// <see cref="RetryBaseDelay"/>, doubled per delivery, at most 10 s.</summary>
    public TimeSpan RetryDelay(int attempt) => Backoff.Doubling(RetryBaseDelay, TimeSpan.FromSeconds(10)).Delay(attempt + 1);

    /// <summary>The sweeper's pause: <see cref="CompensationInterval"/>, doubled per sweep in a row that left work undone, at most a minute
    /// (or the interval, when that is longer).</summary>
    public TimeSpan CompensationDelay(int failedSweeps) =>
        Backoff.Doubling(CompensationInterval, CompensationInterval > MaxCompensationDelay ? CompensationInterval : MaxCompensationDelay).Delay(failedSweeps + 1);

    /// <summary>The writer's wait after <paramref name="failures"/> failures in a row to write to the database at all (not refusals):
    /// 200 ms more per failure, at most 5 s.</summary>
    public static TimeSpan UnreachableDatabaseDelay(int failures) => UnreachableDatabaseBackoff.Delay(failures);

    /// <summary>The relay's pause after <paramref name="failures"/> failed passes in a row: 100 ms more per failure, at most 2 s.</summary>
    public static TimeSpan RelayFailureDelay(int failures) => RelayFailureBackoff.Delay(failures);
}
