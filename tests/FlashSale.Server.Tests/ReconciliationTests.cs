using FlashSale.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace FlashSale.Server.Tests;

/// <summary>
/// Reconciliation in distributed mode: each difference kind is made on purpose in Redis or PostgreSQL, must be
/// named in the report with its order ids, and is repaired where repair is allowed.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ReconciliationTests : IAsyncLifetime
{
    private readonly ServerProcess _server = new("api,worker", new Dictionary<string, string>
    {
        ["FlashSale__Reconciliation__InFlightGrace"] = "00:00:01",
    });
    private FlashSaleClient _client = null!;

    public async Task InitializeAsync()
    {
        await _server.StartAsync();
        _client = FlashSaleClient.For(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_clean_sale_reconciles_clean_and_its_report_is_kept()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        (await _client.GetAsync($"api/admin/sales/{saleId}/reconciliation")).Status.Should().Be(401, "admin only");
        var none = await AdminGetAsync($"api/admin/sales/{saleId}/reconciliation");
        none.Status.Should().Be(404);
        none.Body!["code"]!.GetValue<string>().Should().Be("reconciliation_not_found");

        await _client.BuyAsync(saleId, "alice", 2);
        await _client.BuyAsync(saleId, "bob", 1);
        await _client.WaitForDrainAsync(saleId);

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Status() == "clean");
        report.Status().Should().Be("clean", report.ToJsonString());
        report.Kinds().Should().BeEmpty();
        report["totals"]!["gateRemaining"]!.GetValue<long>().Should().Be(7);
        var kept = await AdminGetAsync($"api/admin/sales/{saleId}/reconciliation");
        kept.Status.Should().Be(200);
        kept.Body!["status"]!.GetValue<string>().Should().Be("clean");
        kept.Body["at"]!.GetValue<DateTimeOffset>().Should().Be(report["at"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task A_gate_that_lost_its_state_and_ledger_stays_closed_until_a_repair_rebuilds_it_from_the_drained_database()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        await _client.BuyAsync(saleId, "alice", 2);
        await _client.BuyAsync(saleId, "bob", 1);
        await _client.WaitForDrainAsync(saleId);
        // Redis restarted without its data, as far as this sale goes: every key of it, the ledger too.
        foreach (var name in new[] { "meta", "users", "requests", "orders", "ledger", "failed" }) await Reconciliation.Gate.KeyDeleteAsync(Reconciliation.GateKey(sale, name));

        var token = await _client.TokenAsync("carol");
        var closed = await _client.PurchaseAsync(saleId, token, 1, "while-lost");
        (closed.Status, closed.Code).Should().Be((503, "unavailable"), "intents only the lost ledger held could be re-sold: fail closed");

        await Task.Delay(500); // the relay polls the sale meanwhile: it must not bring an empty ledger back
        (await _client.PurchaseAsync(saleId, token, 1, "while-lost")).Status.Should().Be(503, "still closed: nothing but a repair reopens it");

        var report = await _client.ReconcileUntilAsync(saleId, r => r.RepairedKinds().Contains("gate_missing"), repair: true);
        report.RepairedKinds().Should().Contain("gate_missing", report.ToJsonString());

        var after = await _client.PurchaseAsync(saleId, token, 1, "after-rebuild");
        after.Status.Should().Be(202, "rebuilt, the sale goes on");
        (await _client.PurchaseAsync(saleId, await _client.TokenAsync("alice"), 1, "more")).Code.Should().Be("limit_exceeded", "alice's 2 units were counted again");
        var stats = await _client.WaitForDrainAsync(saleId);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(6, "10 - 2 - 1 - 1");
        stats["remainingInDb"]!.GetValue<long>().Should().Be(6);
    }

    [Fact]
    public async Task An_accepted_intent_that_never_reached_the_database_is_reported_then_published_again()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        await _client.BuyAsync(saleId, "alice", 1);
        var lost = await _client.BuyAsync(saleId, "bob", 2);
        await _client.WaitForDrainAsync(saleId);
        // As if bob's intent had never been relayed: no ledger entry, no order, no stock or quota taken in the database.
        await ForgetInDatabaseAsync(sale, long.Parse(lost), "bob", 2);
        await DeleteLedgerEntryAsync(sale, lost);

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Kinds().Contains("accepted_not_persisted"));
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().Equal("accepted_not_persisted");
        report.OrderIds("accepted_not_persisted").Should().Equal(lost);
        (await Database.OrdersAsync(sale)).Should().HaveCount(1, "a read-only run changes nothing");

        var repaired = await _client.ReconcileAsync(saleId, repair: true);
        repaired.Status().Should().Be("repaired", repaired.ToJsonString());
        repaired.RepairedKinds().Should().Equal("accepted_not_persisted");
        await Eventually.UntilAsync(async () => (await Database.OrdersAsync(sale)).Any(o => o.OrderId == long.Parse(lost)));
        (await _client.ReconcileUntilAsync(saleId, r => r.Status() == "clean")).Status().Should().Be("clean");
    }

    [Fact]
    public async Task An_order_the_gate_has_no_intent_for_needs_attention_and_is_not_touched()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        var order = await _client.BuyAsync(saleId, "alice", 1);
        await _client.WaitForDrainAsync(saleId);
        await Reconciliation.Gate.HashDeleteAsync(Reconciliation.GateKey(sale, "orders"), order);

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Kinds().Contains("persisted_not_accepted"), repair: true);
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().Equal("persisted_not_accepted");
        report.OrderIds("persisted_not_accepted").Should().Equal(order);
        report.RepairedKinds().Should().BeEmpty();
        (await Database.OrdersAsync(sale)).Should().ContainSingle(o => o.OrderId == long.Parse(order) && o.Status == "pending_payment");
    }

    [Fact]
    public async Task Stock_and_quota_the_gate_deducted_without_an_intent_are_given_back()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        await _client.BuyAsync(saleId, "alice", 1);
        await _client.WaitForDrainAsync(saleId);
        await Reconciliation.Gate.HashIncrementAsync(Reconciliation.GateKey(sale, "meta"), "remaining", -3);
        await Reconciliation.Gate.HashIncrementAsync(Reconciliation.GateKey(sale, "users"), "mallory", 2);

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Kinds().Contains("orphaned_deduction"));
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().Equal("orphaned_deduction");
        report["differences"]![0]!["detail"]!.GetValue<string>().Should().Contain("3 units of stock").And.Contain("mallory");

        var repaired = await _client.ReconcileAsync(saleId, repair: true);
        repaired.Status().Should().Be("repaired", repaired.ToJsonString());
        ((long)await Reconciliation.Gate.HashGetAsync(Reconciliation.GateKey(sale, "meta"), "remaining")).Should().Be(9);
        (await Reconciliation.Gate.HashExistsAsync(Reconciliation.GateKey(sale, "users"), "mallory")).Should().BeFalse();
        (await _client.ReconcileAsync(saleId)).Status().Should().Be("clean");
        // The quota came back: mallory can buy her full limit.
        await _client.BuyAsync(saleId, "mallory", 2);
    }

    [Fact]
    public async Task Stock_and_user_totals_that_disagree_with_the_orders_need_attention()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 3);
        var sale = long.Parse(saleId);
        var order = await _client.BuyAsync(saleId, "alice", 1);
        await _client.WaitForDrainAsync(saleId);
        await Database.ExecuteAsync("UPDATE sales SET available_stock = available_stock - 1 WHERE id = @s", ("s", sale));
        await Database.ExecuteAsync("UPDATE user_purchases SET purchased = purchased + 1 WHERE sale_id = @s AND user_id = 'alice'", ("s", sale));
        await Reconciliation.Gate.HashIncrementAsync(Reconciliation.GateKey(sale, "meta"), "remaining", 2);
        await Reconciliation.Gate.HashIncrementAsync(Reconciliation.GateKey(sale, "users"), "alice", -1);

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Kinds().Length >= 4, repair: true);
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().BeEquivalentTo(["stock_mismatch", "stock_mismatch", "user_total_mismatch", "user_total_mismatch"]);
        report.OrderIds("user_total_mismatch").Should().Equal(order, order);
        report.RepairedKinds().Should().BeEmpty("more stock or less quota in the gate than its intents hold is never guessed away");
    }

    [Fact]
    public async Task A_failed_order_whose_stock_was_not_returned_is_returned_and_stays_reported_as_dead_lettered()
    {
        var saleId = await _client.CreateSaleAsync(stock: 5, perUserLimit: 2);
        var sale = long.Parse(saleId);
        var order = await _client.BuyAsync(saleId, "alice", 2);
        await _client.WaitForDrainAsync(saleId);
        // Failed in the database (as the writer leaves it: no stock, no quota) and recorded as given back, but the
        // gate never got it: what the compensation sweeper trusts the database for, reconciliation checks in the gate.
        await Database.ExecuteAsync("UPDATE orders SET status = 'failed', stock_returned_at = now() WHERE order_id = @o", ("o", long.Parse(order)));
        await Database.ExecuteAsync("UPDATE sales SET available_stock = available_stock + 2 WHERE id = @s", ("s", sale));
        await Database.ExecuteAsync("DELETE FROM user_purchases WHERE sale_id = @s", ("s", sale));

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Kinds().Contains("failed_not_returned"));
        report.Kinds().Should().BeEquivalentTo(["failed_not_returned", "dead_lettered"], report.ToJsonString());
        report.OrderIds("failed_not_returned").Should().Equal(order);
        report.OrderIds("dead_lettered").Should().Equal(order);

        var repaired = await _client.ReconcileAsync(saleId, repair: true);
        repaired.Status().Should().Be("needs_attention", "a dead letter is for an operator to look at");
        repaired.RepairedKinds().Should().Equal("failed_not_returned");
        (await _client.StatsAsync(saleId))["remainingInGate"]!.GetValue<long>().Should().Be(5);
        var after = await _client.ReconcileAsync(saleId);
        after.Kinds().Should().Equal("dead_lettered");
        await _client.BuyAsync(saleId, "alice", 2);
    }

    [Fact]
    public async Task The_command_line_reports_repairs_and_answers_with_its_exit_code()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        await _client.BuyAsync(saleId, "alice", 1);
        await _client.WaitForDrainAsync(saleId);
        await Reconciliation.Gate.HashIncrementAsync(Reconciliation.GateKey(sale, "meta"), "remaining", -1);

        var env = Reconciliation.DistributedEnvironment;
        var found = await Reconciliation.RunCommandAsync(env, saleId);
        found.ExitCode.Should().Be(1, found.Errors);
        found.Output.Should().Contain("\"status\":\"needs_attention\"").And.Contain("orphaned_deduction");

        var repaired = await Reconciliation.RunCommandAsync(env, saleId, "--repair");
        repaired.ExitCode.Should().Be(0, repaired.Errors);
        repaired.Output.Should().Contain("\"status\":\"repaired\"");

        var clean = await Reconciliation.RunCommandAsync(env, saleId);
        clean.ExitCode.Should().Be(0, clean.Errors);
        clean.Output.Should().Contain("\"status\":\"clean\"");
        (await AdminGetAsync($"api/admin/sales/{saleId}/reconciliation")).Body!["status"]!.GetValue<string>().Should().Be("clean", "the command keeps its report too");

        (await Reconciliation.RunCommandAsync(env, "not-a-sale")).ExitCode.Should().Be(2);
        (await Reconciliation.RunCommandAsync(env)).ExitCode.Should().Be(2);
        (await Reconciliation.RunCommandAsync(env, "999")).ExitCode.Should().Be(2, "no such sale");
    }

    private async Task<(int Status, System.Text.Json.Nodes.JsonObject? Body)> AdminGetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Admin-Key", TestServices.AdminKey);
        using var response = await _client.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body.Length > 0 ? System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject() : null);
    }

    private static async Task ForgetInDatabaseAsync(long sale, long orderId, string user, int quantity)
    {
        await Database.ExecuteAsync("DELETE FROM orders WHERE order_id = @o", ("o", orderId));
        await Database.ExecuteAsync("UPDATE sales SET available_stock = available_stock + @q WHERE id = @s", ("q", quantity), ("s", sale));
        await Database.ExecuteAsync("UPDATE user_purchases SET purchased = purchased - @q WHERE sale_id = @s AND user_id = @u", ("q", quantity), ("s", sale), ("u", user));
    }

    private static async Task DeleteLedgerEntryAsync(long sale, string orderId)
    {
        var key = (string)Reconciliation.GateKey(sale, "ledger")!;
        var entries = (RedisResult[])(await Reconciliation.Gate.ExecuteAsync("XRANGE", key, "-", "+"))!;
        var deleted = 0;
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            var fields = (RedisResult[])parts[1]!;
            if ((string?)fields[1] == orderId) deleted += (int)await Reconciliation.Gate.ExecuteAsync("XDEL", key, (string)parts[0]!);
        }
        deleted.Should().Be(1);
    }
}
