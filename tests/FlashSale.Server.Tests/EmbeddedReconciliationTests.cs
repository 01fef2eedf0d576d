using FlashSale.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FlashSale.Server.Tests;

/// <summary>Reconciliation in embedded mode: the in-process gate and its journal against the SQLite store.</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddedReconciliationTests : EmbeddedServerTest
{
    private FlashSaleClient _client = null!;

    public override async Task InitializeAsync()
    {
        await StartAsync();
        _client = FlashSaleClient.For(Server);
    }

    private async Task StartAsync()
    {
        Server = ServerProcess.Embedded(Database.Path, new Dictionary<string, string> { ["FlashSale__Reconciliation__InFlightGrace"] = "00:00:01" });
        await Server.StartAsync();
    }

    [Fact]
    public async Task A_clean_embedded_sale_reconciles_clean()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        await _client.BuyAsync(saleId, "alice", 2);
        await _client.BuyAsync(saleId, "bob", 1);
        await _client.WaitForDrainAsync(saleId);
        var report = await _client.ReconcileUntilAsync(saleId, r => r.Status() == "clean");
        report.Status().Should().Be("clean", report.ToJsonString());
        report["totals"]!["gateRemaining"]!.GetValue<long>().Should().Be(7);
        report["totals"]!["ledgerEntries"]!.GetValue<int>().Should().Be(2, "the journal is the embedded ledger");
    }

    [Fact]
    public async Task An_embedded_intent_missing_from_the_database_is_reported_then_written()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        await _client.BuyAsync(saleId, "alice", 1);
        var lost = await _client.BuyAsync(saleId, "bob", 2);
        await _client.WaitForDrainAsync(saleId);
        await ExecuteAsync("DELETE FROM orders WHERE order_id = @o", ("@o", long.Parse(lost)));
        await ExecuteAsync("UPDATE sales SET available_stock = available_stock + 2 WHERE id = @s", ("@s", sale));
        await ExecuteAsync("UPDATE user_purchases SET purchased = purchased - 2 WHERE sale_id = @s AND user_id = 'bob'", ("@s", sale));

        var report = await _client.ReconcileUntilAsync(saleId, r => r.Kinds().Contains("accepted_not_persisted"));
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().Equal("accepted_not_persisted");
        report.OrderIds("accepted_not_persisted").Should().Equal(lost);

        var repaired = await _client.ReconcileAsync(saleId, repair: true);
        repaired.Status().Should().Be("repaired", repaired.ToJsonString());
        await Eventually.UntilAsync(async () => (await Database.OrdersAsync(sale)).Any(o => o.OrderId == long.Parse(lost)));
        (await _client.ReconcileUntilAsync(saleId, r => r.Status() == "clean")).Status().Should().Be("clean");
    }

    [Fact]
    public async Task An_embedded_failed_order_not_given_back_is_returned_to_the_gate()
    {
        var saleId = await _client.CreateSaleAsync(stock: 5, perUserLimit: 2);
        var sale = long.Parse(saleId);
        var order = await _client.BuyAsync(saleId, "alice", 2);
        await _client.WaitForDrainAsync(saleId);
        // Recorded as given back (so the compensation sweeper leaves it), but the gate never got it.
        await ExecuteAsync("UPDATE orders SET status = 'failed', stock_returned_at_ms = persisted_at_ms WHERE order_id = @o", ("@o", long.Parse(order)));
        await ExecuteAsync("UPDATE sales SET available_stock = available_stock + 2 WHERE id = @s", ("@s", sale));
        await ExecuteAsync("DELETE FROM user_purchases WHERE sale_id = @s", ("@s", sale));

        var report = await _client.ReconcileAsync(saleId);
        report.Kinds().Should().BeEquivalentTo(["failed_not_returned", "dead_lettered"], report.ToJsonString());
        report.OrderIds("failed_not_returned").Should().Equal(order);

        var repaired = await _client.ReconcileAsync(saleId, repair: true);
        repaired.RepairedKinds().Should().Equal("failed_not_returned");
        (await _client.StatsAsync(saleId))["remainingInGate"]!.GetValue<long>().Should().Be(5);
        (await _client.ReconcileAsync(saleId)).Kinds().Should().Equal("dead_lettered");
    }

    [Fact]
    public async Task Embedded_stock_and_user_totals_that_disagree_need_attention()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 3);
        var sale = long.Parse(saleId);
        var order = await _client.BuyAsync(saleId, "alice", 1);
        await _client.WaitForDrainAsync(saleId);
        await ExecuteAsync("UPDATE sales SET available_stock = available_stock - 1 WHERE id = @s", ("@s", sale));
        await ExecuteAsync("UPDATE user_purchases SET purchased = purchased + 1 WHERE sale_id = @s", ("@s", sale));

        var report = await _client.ReconcileAsync(saleId, repair: true);
        report.Status().Should().Be("needs_attention", report.ToJsonString());
        report.Kinds().Should().BeEquivalentTo(["stock_mismatch", "user_total_mismatch"]);
        report.OrderIds("user_total_mismatch").Should().Equal(order);
    }

    [Fact]
    public async Task An_order_missing_from_the_journal_is_reported_and_the_command_line_reads_the_stopped_store()
    {
        var saleId = await _client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var sale = long.Parse(saleId);
        await _client.BuyAsync(saleId, "alice", 1);
        await _client.WaitForDrainAsync(saleId);
        await Server.DisposeAsync(); // the command needs the file to itself

        var env = Reconciliation.EmbeddedEnvironment(Database.Path);
        var clean = await Reconciliation.RunCommandAsync(env, saleId);
        clean.ExitCode.Should().Be(0, clean.Errors);
        clean.Output.Should().Contain("\"status\":\"clean\"");

        var alice = (await Database.OrdersAsync(sale)).Single().OrderId;
        await ExecuteAsync("DELETE FROM intents WHERE order_id = @o", ("@o", alice));
        var found = await Reconciliation.RunCommandAsync(env, saleId, "--repair");
        found.ExitCode.Should().Be(1, found.Errors);
        found.Output.Should().Contain("persisted_not_accepted").And.Contain(alice.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await StartAsync();
        var report = await FlashSaleClient.For(Server).ReconcileAsync(saleId);
        report.OrderIds("persisted_not_accepted").Should().Equal(alice.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection($"Data Source={Database.Path};Pooling=False;Default Timeout=10");
        await connection.OpenAsync();
        await using var cmd = new SqliteCommand(sql, connection);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        (await cmd.ExecuteNonQueryAsync()).Should().BeGreaterThan(0, sql);
    }
}
