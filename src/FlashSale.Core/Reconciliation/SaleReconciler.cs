using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Reconciliation;

/// <summary>
/// Compares, for one sale, what the gate accepted (and gave back) with what the ledger and queue still carry
/// and what the database holds; reports every difference and, when asked, repairs what is safe to repair:
/// intents that never reached the database are published again (writes are idempotent by order id), failed
/// orders' stock and quota go back to the gate (once per order), and stock or quota the gate deducted with no
/// intent anywhere is given back. Orders are never invented or deleted; everything else needs an operator.
/// </summary>
public sealed class SaleReconciler(
    IGateAudit gate,
    IStoreAudit store,
    IQueueAudit queue,
    IStockGate stockGate,
    GateLoader gateLoader,
    IOrderQueuePublisher publisher,
    IReconciliationReports reports,
    TimeProvider time,
    IOptions<ReconciliationOptions> options,
    ILogger<SaleReconciler> logger,
    Telemetry.ReconciliationMetrics? metrics = null)
{
    /// <summary>Reconciles the sale and stores the report; null when the sale does not exist.</summary>
    public async Task<ReconciliationReport?> ReconcileAsync(long saleId, bool repair, CancellationToken cancellationToken)
    {
        try
        {
            return await ReconcileOnceAsync(saleId, repair, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics?.Failed();
            throw;
        }
    }

    private async Task<ReconciliationReport?> ReconcileOnceAsync(long saleId, bool repair, CancellationToken cancellationToken)
    {
        // The gate first: whatever it accepts after this read is younger than the grace, so it cannot look lost.
        var gateState = await gate.ReadAsync(saleId, cancellationToken).ConfigureAwait(false);
        var storeState = await store.ReadAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (storeState is null) return null;
        var queueState = await queue.ReadAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();

        var findings = Compare(saleId, gateState, storeState, queueState, now.ToUnixTimeMilliseconds(), options.Value.InFlightGrace);
        var repaired = new List<ReconciliationRepair>();
        var unrepaired = findings.Findings.Count(f => f.Repair is null);
        if (repair)
        {
            foreach (var finding in findings.Findings)
            {
                if (finding.Repair is null) continue;
                var done = await RepairAsync(saleId, finding, cancellationToken).ConfigureAwait(false);
                if (done is null) unrepaired++;
                else repaired.Add(done);
            }
        }

        var status = findings.Findings.Count == 0 ? ReconciliationStatus.Clean
            : repair && unrepaired == 0 ? ReconciliationStatus.Repaired
            : ReconciliationStatus.NeedsAttention;
        var report = new ReconciliationReport(Id(saleId), now, status,
            findings.Findings.Select(f => f.Difference).ToArray(), repaired, findings.InFlight, findings.Totals);
        await reports.SaveAsync(report, cancellationToken).ConfigureAwait(false);
        metrics?.Ran(saleId, status, report.Differences.Count);
        if (status != ReconciliationStatus.Clean)
        {
            logger.LogWarning("Reconciliation of sale {SaleId}: {Status}, {Differences}", saleId, status,
                string.Join("; ", report.Differences.Select(d => $"{d.Kind} {d.Detail}")));
        }
        return report;
    }

    private async Task<ReconciliationRepair?> RepairAsync(long saleId, Finding finding, CancellationToken cancellationToken)
    {
        var ids = finding.Difference.OrderIds;
        switch (finding.Repair)
        {
            case Republish republish:
                await publisher.PublishAsync(republish.Intents, cancellationToken).ConfigureAwait(false);
                return new ReconciliationRepair(finding.Difference.Kind, ids, $"published {republish.Intents.Count} intents to the order queue again");
            case ReturnToGate giveBack:
                var returned = 0;
                foreach (var intent in giveBack.Intents)
                {
                    if (await stockGate.ReturnAsync(intent, cancellationToken).ConfigureAwait(false)) returned++;
                }
                return new ReconciliationRepair(finding.Difference.Kind, ids, $"returned the stock and quota of {returned} failed orders to the gate");
            case ReturnOrphaned orphaned:
                if (!await gate.ReturnOrphanedAsync(saleId, orphaned.Deduction, cancellationToken).ConfigureAwait(false))
                {
                    logger.LogWarning("Orphaned deduction of sale {SaleId} not returned: the gate changed since it was read", saleId);
                    return null;
                }
                return new ReconciliationRepair(finding.Difference.Kind, ids,
                    $"gave back {orphaned.Deduction.Units} units of stock and {orphaned.Deduction.Users.Sum(u => u.Units)} units of quota to the gate");
            case RebuildGate:
                // The pipeline has drained: the database now holds every intent the lost gate state had accepted.
                var load = await gateLoader.LoadAsync(saleId, GateLoadMode.AfterStateLoss, cancellationToken).ConfigureAwait(false);
                return load is GateLoad.Loaded or GateLoad.Held
                    ? new ReconciliationRepair(finding.Difference.Kind, ids, "rebuilt the gate from the database once the order queue had drained")
                    : null;
            default:
                return null;
        }
    }

    /// <summary>The comparison itself: every rule of reconciliation, on snapshots, with no I/O.</summary>
    internal static Comparison Compare(long saleId, GateAuditSnapshot? gateState, StoreAuditSnapshot db, QueueAuditSnapshot queueState, long nowMs, TimeSpan grace)
    {
        var findings = new List<Finding>();
        var ordersById = db.Orders.ToDictionary(o => o.OrderId);
        var byStatus = db.Orders.GroupBy(o => o.Status).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var failed = db.Orders.Where(o => o.Status == OrderStatus.Failed).ToArray();
        var inFlight = 0;

        // The database on its own: stock and user totals against its live orders (pending payment or paid).
        var live = db.Orders.Where(o => o.TakesStock).ToArray();
        var dbExpectedAvailable = db.Stock - live.Sum(o => (long)o.Quantity);
        if (db.AvailableStock != dbExpectedAvailable)
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.StockMismatch, [],
                $"database: available stock {db.AvailableStock}, but stock {db.Stock} minus {db.Stock - dbExpectedAvailable} units of live orders leaves {dbExpectedAvailable}"), null));
        }
        var dbExpectedUsers = Sum(live.Select(o => (o.UserId, (long)o.Quantity)));
        foreach (var user in Mismatched(db.UserTotals, dbExpectedUsers))
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.UserTotalMismatch, Ids(live.Where(o => o.UserId == user).Select(o => o.OrderId)),
                $"database: user '{user}' has {db.UserTotals.GetValueOrDefault(user)} units counted, live orders hold {dbExpectedUsers.GetValueOrDefault(user)}"), null));
        }
        if (failed.Length > 0)
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.DeadLettered, Ids(failed.Select(o => o.OrderId)),
                $"{failed.Length} orders failed in the database and were dead-lettered ({queueState.DeadLetters} messages in the dead-letter queue, all sales)"), null));
        }

        if (gateState is null)
        {
            if (db.Orders.Count > 0 || nowMs < db.EndsAtMs)
            {
                // Rebuilt from the database only once nothing is on its way to it: a purchase the lost gate state had
                // accepted is then an order, and is counted.
                var queueEmpty = queueState.Depth == 0;
                findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.GateMissing, [],
                    $"the gate does not hold the sale; the database has {db.Orders.Count} orders"
                    + (queueEmpty ? "" : $"; {queueState.Depth} messages still wait in the order queue, so it is not rebuilt yet")),
                    queueEmpty ? new RebuildGate() : null));
            }
            return new Comparison(findings, 0, Totals(db, null, LedgerAuditSnapshot.None, queueState, byStatus, 0));
        }

        var ledger = gateState.Ledger;
        var intents = gateState.Intents.ToDictionary(i => i.OrderId);
        var returned = gateState.Returned;

        // Intents and orders, one by one.
        var notAccepted = db.Orders.Where(o => !intents.ContainsKey(o.OrderId)).Select(o => o.OrderId).ToArray();
        if (notAccepted.Length > 0)
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.PersistedNotAccepted, Ids(notAccepted),
                $"{notAccepted.Length} orders in the database have no intent in the gate"), null));
        }

        var missing = gateState.Intents.Where(i => !returned.Contains(i.OrderId) && !ordersById.ContainsKey(i.OrderId)).ToArray();
        // Judged only once the sale's pipeline has drained: nothing left in the ledger, nothing waiting in the queue.
        var drained = ledger.Pending.Count == 0 && ledger.Unrelayed.Count == 0 && queueState.Depth == 0;
        var lost = drained ? missing.Where(i => nowMs - i.AcceptedAtMs >= grace.TotalMilliseconds).ToArray() : [];
        inFlight = missing.Length - lost.Length;
        if (lost.Length > 0)
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.AcceptedNotPersisted, Ids(lost.Select(i => i.OrderId)),
                $"{lost.Length} intents ({lost.Sum(i => (long)i.Quantity)} units) accepted by the gate are neither in the database nor on their way"), new Republish(lost)));
        }

        var notReturned = failed.Where(o => !returned.Contains(o.OrderId) && intents.ContainsKey(o.OrderId)).ToArray();
        if (notReturned.Length > 0)
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.FailedNotReturned, Ids(notReturned.Select(o => o.OrderId)),
                $"{notReturned.Length} failed orders ({notReturned.Sum(o => (long)o.Quantity)} units) whose stock and quota the gate has not taken back"),
                new ReturnToGate(notReturned.Select(o => intents[o.OrderId]).ToArray())));
        }

        // The gate's counters against every intent known anywhere (gate or database) that was not given back.
        var known = new Dictionary<long, (string User, long Units)>();
        foreach (var i in gateState.Intents) known[i.OrderId] = (i.UserId, i.Quantity);
        foreach (var o in db.Orders) known.TryAdd(o.OrderId, (o.UserId, o.Quantity));
        var held = known.Where(k => !returned.Contains(k.Key)).Select(k => k.Value).ToArray();
        var gateExpectedRemaining = db.Stock - held.Sum(h => h.Units);
        var gateExpectedUsers = Sum(held);

        var orphanedUnits = Math.Max(0, gateExpectedRemaining - gateState.Remaining);
        var orphanedUsers = new List<OrphanedQuota>();
        foreach (var user in Mismatched(gateState.UserTotals, gateExpectedUsers))
        {
            var has = gateState.UserTotals.GetValueOrDefault(user);
            var expected = gateExpectedUsers.GetValueOrDefault(user);
            if (has > expected)
            {
                orphanedUsers.Add(new OrphanedQuota(user, has, has - expected));
            }
            else
            {
                findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.UserTotalMismatch, Ids(gateState.Intents.Where(i => i.UserId == user && !returned.Contains(i.OrderId)).Select(i => i.OrderId)),
                    $"gate: user '{user}' has {has} units counted, but intents not given back hold {expected}"), null));
            }
        }
        if (gateState.Remaining > gateExpectedRemaining)
        {
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.StockMismatch, [],
                $"gate: {gateState.Remaining} units left, but stock {db.Stock} minus {held.Sum(h => h.Units)} units of intents not given back leaves {gateExpectedRemaining}"), null));
        }
        if (orphanedUnits > 0 || orphanedUsers.Count > 0)
        {
            var detail = new List<string>();
            if (orphanedUnits > 0) detail.Add($"{orphanedUnits} units of stock deducted with no intent ({gateState.Remaining} left, {gateExpectedRemaining} expected)");
            detail.AddRange(orphanedUsers.Select(u => $"{u.Units} units of user '{u.UserId}''s quota counted with no intent"));
            findings.Add(new Finding(new ReconciliationDifference(DifferenceKind.OrphanedDeduction, [], "gate: " + string.Join("; ", detail)),
                new ReturnOrphaned(new OrphanedDeduction(gateState.Remaining, orphanedUnits, orphanedUsers))));
        }

        return new Comparison(findings, inFlight, Totals(db, gateState, ledger, queueState, byStatus, gateState.Intents.Count));
    }

    private static ReconciliationTotals Totals(StoreAuditSnapshot db, GateAuditSnapshot? gateState, LedgerAuditSnapshot ledger, QueueAuditSnapshot queueState,
        Dictionary<string, int> byStatus, int intents) =>
        new(db.Stock, gateState?.Remaining, intents, db.AvailableStock, byStatus, ledger.Entries.Count, ledger.Pending.Count, ledger.Unrelayed.Count,
            queueState.Depth, queueState.DeadLetters);

    private static Dictionary<string, long> Sum(IEnumerable<(string User, long Units)> items)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (user, units) in items) sums[user] = sums.GetValueOrDefault(user) + units;
        return sums;
    }

    /// <summary>Users whose totals differ (a missing user counts as zero), in a stable order.</summary>
    private static IEnumerable<string> Mismatched(IReadOnlyDictionary<string, long> has, IReadOnlyDictionary<string, long> expected) =>
        has.Keys.Union(expected.Keys, StringComparer.Ordinal)
            .Where(u => has.GetValueOrDefault(u) != expected.GetValueOrDefault(u))
            .Order(StringComparer.Ordinal);

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string[] Ids(IEnumerable<long> ids) => ids.Order().Select(Id).ToArray();

    internal sealed record Comparison(IReadOnlyList<Finding> Findings, int InFlight, ReconciliationTotals Totals);

    internal sealed record Finding(ReconciliationDifference Difference, RepairPlan? Repair);

    internal abstract record RepairPlan;

    private sealed record Republish(IReadOnlyList<OrderIntent> Intents) : RepairPlan;

    private sealed record ReturnToGate(IReadOnlyList<OrderIntent> Intents) : RepairPlan;

    private sealed record ReturnOrphaned(OrphanedDeduction Deduction) : RepairPlan;

    private sealed record RebuildGate : RepairPlan;
}
