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

public static class DifferenceKind
{
    public const string AcceptedNotPersisted = "accepted_not_persisted";
    public const string PersistedNotAccepted = "persisted_not_accepted";
    public const string StockMismatch = "stock_mismatch";
    public const string UserTotalMismatch = "user_total_mismatch";
    public const string DeadLettered = "dead_lettered";
    public const string FailedNotReturned = "failed_not_returned";
    public const string OrphanedDeduction = "orphaned_deduction";
    public const string GateMissing = "gate_missing";
}

/// <summary>How reports are stored: the same JSON the admin API answers.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReconciliationReport))]
public sealed partial class ReconciliationJsonContext : JsonSerializerContext;
