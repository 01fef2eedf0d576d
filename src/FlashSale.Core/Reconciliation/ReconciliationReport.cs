using System.Text.Json.Serialization;

namespace FlashSale.Core.Reconciliation;

/// <summary>What one reconciliation of one sale found and did.</summary>
/// <param name="InFlight">Accepted intents not in the database yet but still on their way (ledger or queue): not differences.</param>
public sealed record ReconciliationReport(
    string SaleId,
    DateTimeOffset At,
    string Status,
    IReadOnlyList<ReconciliationDifference> Differences,
    IReadOnlyList<ReconciliationRepair> Repaired,
    int InFlight,
    ReconciliationTotals Totals);

public sealed record ReconciliationDifference(string Kind, IReadOnlyList<string> OrderIds, string Detail);

public sealed record ReconciliationRepair(string Kind, IReadOnlyList<string> OrderIds, string Action);

/// <summary>The numbers compared, for the operator.</summary>
public sealed record ReconciliationTotals(
    int Stock,
    long? GateRemaining,
    int GateIntents,
    long DatabaseAvailable,
    IReadOnlyDictionary<string, int> OrdersByStatus,
    int LedgerEntries,
    int LedgerPending,
    int LedgerUnrelayed,
    long QueueDepth,
    long DeadLetters);

public static class ReconciliationStatus
{
    public const string Clean = "clean";
    public const string Repaired = "repaired";
    public const string NeedsAttention = "needs_attention";
}

/// <summary>What a reconciliation can find (docs/architecture.md, "Reconciliation", says when and what is repaired).</summary>
public static class DifferenceKind
{
    public const string
        AcceptedNotPersisted = "accepted_not_persisted",
        PersistedNotAccepted = "persisted_not_accepted",
        StockMismatch = "stock_mismatch",
        UserTotalMismatch = "user_total_mismatch",
        DeadLettered = "dead_lettered",
        FailedNotReturned = "failed_not_returned",
        OrphanedDeduction = "orphaned_deduction",
        GateMissing = "gate_missing";
}

/// <summary>How reports are stored: the same JSON the admin API answers.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReconciliationReport))]
public sealed partial class ReconciliationJsonContext : JsonSerializerContext;
