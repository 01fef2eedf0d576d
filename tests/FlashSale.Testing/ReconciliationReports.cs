using System.Text.Json.Nodes;

namespace FlashSale.Testing;

/// <summary>Reconciliation through the admin API, and reading its reports.</summary>
public static class ReconciliationReports
{
    /// <summary>Server settings: an accepted intent not in the database is in flight for one second only, so that a test need not wait.</summary>
    public static Dictionary<string, string> ShortInFlightGrace => new() { ["FlashSale:Reconciliation:InFlightGrace"] = "00:00:01" };

    public static async Task<JsonObject> ReconcileAsync(this FlashSaleClient client, string saleId, bool repair = false)
    {
        var (status, body) = await client.PostAsync($"api/admin/sales/{saleId}/reconcile{(repair ? "?repair=true" : "")}", new { }, adminKey: TestServices.AdminKey);
        status.Should().Be(200, body?.ToJsonString());
        return body!;
    }

    /// <summary>Reconciles until <paramref name="done"/> holds: a shared queue may briefly hold other tests' messages.</summary>
    public static async Task<JsonObject> ReconcileUntilAsync(this FlashSaleClient client, string saleId, Func<JsonObject, bool> done, bool repair = false)
    {
        JsonObject report = null!;
        for (var i = 0; i < 60; i++)
        {
            report = await client.ReconcileAsync(saleId, repair);
            if (done(report)) return report;
            await Task.Delay(500);
        }
        return report;
    }

    public static string Status(this JsonObject report) => report["status"]!.GetValue<string>();

    public static string[] Kinds(this JsonObject report) =>
        report["differences"]!.AsArray().Select(d => d!["kind"]!.GetValue<string>()).ToArray();

    public static string[] OrderIds(this JsonObject report, string kind) =>
        report["differences"]!.AsArray().Where(d => d!["kind"]!.GetValue<string>() == kind)
            .SelectMany(d => d!["orderIds"]!.AsArray().Select(id => id!.GetValue<string>())).ToArray();

    public static string[] RepairedKinds(this JsonObject report) =>
        report["repaired"]!.AsArray().Select(d => d!["kind"]!.GetValue<string>()).ToArray();

    /// <summary>
    /// Repairs an accepted purchase missing from the database: the repair says so, the order reaches the
    /// database (<paramref name="persisted"/> holds), and then the sale reconciles clean.
    /// </summary>
    public static async Task RepairAcceptedNotPersistedAsync(this FlashSaleClient client, string saleId, Func<Task<bool>> persisted)
    {
        var repaired = await client.ReconcileAsync(saleId, repair: true);
        repaired.Status().Should().Be("repaired", repaired.ToJsonString());
        repaired.RepairedKinds().Should().Equal("accepted_not_persisted");
        await Eventually.UntilAsync(persisted);
        (await client.ReconcileUntilAsync(saleId, r => r.Status() == "clean")).Status().Should().Be("clean");
    }

    /// <summary>
    /// Alice's order (2 of 5 units, limit 2), persisted, then failed in the database and recorded there as given
    /// back while the gate never took its stock and quota back (<paramref name="failInDatabase"/>, given the
    /// order and the sale, makes it so): reconciliation reports it failed_not_returned, and dead_lettered.
    /// <paramref name="untilReported"/> reconciles again until it is (a shared queue may briefly hold other
    /// tests' messages). Returns the sale and the order.
    /// </summary>
    public static async Task<(string SaleId, string OrderId, JsonObject Report)> FailedOrderNotReturnedAsync(
        this FlashSaleClient client, Func<long, long, Task> failInDatabase, bool untilReported = false)
    {
        var (saleId, sale, orders) = await client.DrainedSaleAsync(stock: 5, perUserLimit: 2, ("alice", 2));
        var order = orders[0];
        await failInDatabase(long.Parse(order, System.Globalization.CultureInfo.InvariantCulture), sale);

        var report = untilReported
            ? await client.ReconcileUntilAsync(saleId, r => r.Kinds().Contains("failed_not_returned"))
            : await client.ReconcileAsync(saleId);
        report.Kinds().Should().BeEquivalentTo(["failed_not_returned", "dead_lettered"], report.ToJsonString());
        report.OrderIds("failed_not_returned").Should().Equal(order);
        return (saleId, order, report);
    }

    /// <summary>The report needs attention for one kind of difference only, naming exactly these orders.</summary>
    public static void ShouldNeedAttentionFor(this JsonObject report, string kind, params string[] orderIds)
    {
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().Equal(kind);
        report.OrderIds(kind).Should().Equal(orderIds);
    }
}
