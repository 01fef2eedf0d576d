using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary><c>/metrics</c> of a distributed process (Redis gate, RabbitMQ queue, PostgreSQL) during a sale with a poison order.</summary>
[Collection(ServerCollection.Name)]
public sealed class DistributedMetricsTests() : ServerProcessTest(new ServerProcess("api,worker", new Dictionary<string, string>
{
    ["FlashSale__Metrics__SampleInterval"] = "00:00:01",
    ["FlashSale__Pipeline__MaxDeliveryAttempts"] = "3",
    ["FlashSale__Pipeline__RetryBaseDelay"] = "00:00:00.050",
}))
{
    [Fact]
    public async Task Every_family_moves_during_a_sale_and_promtool_accepts_the_exposition()
    {
        var deadBefore = await Broker.DeadLetterCountAsync(); // the dead-letter queue is shared by every test run
        var before = await MetricsScrape.ReadAsync(Client.Http);
        var saleId = await Client.CreateSaleAsync(stock: 4, perUserLimit: 2, paymentTimeoutSeconds: 600);
        var (alice, aliceOrder, _) = await Client.PendingOrderAsync(saleId, "alice", "m-1", quantity: 2);
        (await Client.OrderActionAsync(aliceOrder, "pay", alice)).Status.Should().Be(200);
        // The database refuses every further order of the sale: Bob's is dead-lettered, and its unit goes back.
        await Database.ExecuteAsync("UPDATE sales SET available_stock = 0 WHERE id = @s", ("s", long.Parse(saleId)));
        var bob = await Client.TokenAsync("bob");
        var doomed = await Client.PurchaseAsync(saleId, bob, 1, "m-2");
        doomed.Status.Should().Be(202);
        await Client.WaitForOrderAsync(doomed.OrderId!, bob, "failed");

        var sale = saleId;
        MetricsScrape after = null!;
        await Eventually.UntilAsync(async () =>
        {
            after = await MetricsScrape.ReadAsync(Client.Http);
            return after.Sum("flashsale_sold", $"sale={sale}", "store=database") == 2 && after.Sum("flashsale_sold", $"sale={sale}", "store=gate") == 2
                && after.Sum("flashsale_dead_letters") >= deadBefore + 1;
        });

        double Moved(string name, params string[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        Moved("flashsale_purchase_answers_total", "code=accepted", "layer=gate").Should().Be(2);
        Moved("flashsale_gate_calls_total", "result=decided").Should().BeGreaterThanOrEqualTo(2);
        Moved("flashsale_units_accepted_total").Should().Be(3);
        Moved("flashsale_units_failed_total").Should().Be(1);
        Moved("flashsale_units_returned_total", "reason=failed").Should().Be(1);
        Moved("flashsale_units_persisted_total").Should().BeGreaterThanOrEqualTo(2);
        Moved("flashsale_persistence_lag_seconds_count").Should().BeGreaterThanOrEqualTo(1);
        Moved("flashsale_payments_total", "outcome=paid").Should().Be(1);
        after.Sum("flashsale_sale_stock", $"sale={sale}").Should().Be(4);
        after.Sum("flashsale_stock_left", $"sale={sale}", "store=gate").Should().Be(2);
        after.Find("flashsale_ledger_unrelayed", $"sale={sale}").Should().ContainSingle().Which.Value.Should().Be(0);
        after.Find("flashsale_queue_depth").Should().ContainSingle();
        foreach (var dependency in new[] { "redis", "rabbitmq", "postgres" })
        {
            after.Find("flashsale_dependency_up", $"dependency={dependency}").Single().Value.Should().Be(1, dependency);
        }
        after.Types.Keys.Should().Contain(["kestrel_active_connections", "http_server_request_duration_seconds", "dotnet_gc_collections_total"]);
        after.Types.Keys.Where(k => k.StartsWith("db_client_", StringComparison.Ordinal)).Should().NotBeEmpty("Npgsql's pool metrics are exported");
        (await MetricsScrape.PromtoolComplaintsAsync(after.Text)).Should().BeEmpty();
    }

    [Fact]
    public async Task After_a_kill_the_counters_start_again_and_the_stock_gauges_still_show_what_the_stores_hold()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        for (var i = 0; i < 3; i++) await Client.PendingOrderAsync(saleId, $"buyer-{i}", $"k-{i}", quantity: 2);
        await Eventually.UntilAsync(async () => (await MetricsScrape.ReadAsync(Client.Http)).Sum("flashsale_sold", $"sale={saleId}", "store=database") == 6);
        (await MetricsScrape.ReadAsync(Client.Http)).Sum("flashsale_units_accepted_total").Should().Be(6);

        Server.Kill();
        await Server.StartAsync();
        var restarted = FlashSaleClient.For(Server);
        MetricsScrape after = null!;
        await Eventually.UntilAsync(async () =>
        {
            after = await MetricsScrape.ReadAsync(restarted.Http);
            return after.Find("flashsale_sold", $"sale={saleId}", "store=database").Any() && after.Find("flashsale_sold", $"sale={saleId}", "store=gate").Any();
        });
        after.Sum("flashsale_sold", $"sale={saleId}", "store=database").Should().Be(6, "the gauges are read from the stores, not counted in the process");
        after.Sum("flashsale_sold", $"sale={saleId}", "store=gate").Should().Be(6);
        after.Sum("flashsale_units_accepted_total").Should().Be(0, "a new process counts from zero: Prometheus' rate() takes the reset");
    }
}

/// <summary>While Redis is down the scrape still answers, showing Redis down and the purchases it stopped; then up again.</summary>
[Collection(ServerCollection.Name)]
public sealed class MetricsDuringOutageTests() : PrivateRedisServerTest(new Dictionary<string, string> { ["FlashSale__Metrics__SampleInterval"] = "00:00:01" })
{
    [Fact]
    public async Task Redis_down_shows_in_the_dependency_gauge_and_the_answers_and_the_scrape_still_answers()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var token = await Client.TokenAsync("outage");
        (await Client.PurchaseAsync(saleId, token, 1, "before")).Status.Should().Be(202);
        await Eventually.UntilAsync(async () => (await MetricsScrape.ReadAsync(Client.Http)).Sum("flashsale_dependency_up", "dependency=redis") == 1);
        var before = await MetricsScrape.ReadAsync(Client.Http);

        Redis.Stop();
        (await Client.PurchaseAsync(saleId, await Client.TokenAsync("during"), 1, "during")).Status.Should().Be(503);
        await Eventually.UntilAsync(async () => (await MetricsScrape.ReadAsync(Client.Http)).Sum("flashsale_dependency_up", "dependency=redis") == 0);
        var during = await MetricsScrape.ReadAsync(Client.Http);
        // The gateway's limits live in Redis too: the purchase is stopped there, before the gate.
        (during.Sum("flashsale_purchase_answers_total", "code=unavailable", "layer=gateway")
            - before.Sum("flashsale_purchase_answers_total", "code=unavailable", "layer=gateway")).Should().Be(1);
        during.Find("flashsale_dependency_up", "dependency=postgres").Single().Value.Should().Be(1, "only Redis is down");

        await Redis.StartAsync();
        await Eventually.UntilAsync(async () => (await MetricsScrape.ReadAsync(Client.Http)).Sum("flashsale_dependency_up", "dependency=redis") == 1);
    }
}
