using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Embedded;
using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests;

/// <summary><c>/metrics</c> in embedded mode: every family of the catalog moves during a sale, and promtool accepts the text.</summary>
public sealed class MetricsTests() : ApiTest(new Dictionary<string, string> { ["FlashSale:Metrics:SampleInterval"] = "00:00:01" })
{
    [Fact]
    public async Task A_sale_moves_every_family_and_promtool_accepts_the_exposition()
    {
        var before = await MetricsScrape.ReadAsync(Client.Http);
        var saleId = await Client.CreateSaleAsync(stock: 3, perUserLimit: 2, paymentTimeoutSeconds: 600);
        var (alice, aliceOrder, _) = await Client.PendingOrderAsync(saleId, "alice", "m-1", quantity: 2);
        var (bob, bobOrder, _) = await Client.PendingOrderAsync(saleId, "Bøb", "m-2", quantity: 1);
        (await Client.PurchaseAsync(saleId, await Client.TokenAsync("carol"), 1, "m-3")).Code.Should().Be("sold_out");
        (await Client.OrderActionAsync(aliceOrder, "pay", alice)).Status.Should().Be(200);
        (await Client.OrderActionAsync(bobOrder, "cancel", bob)).Status.Should().Be(200);
        var (_, daveOrder, _) = await Client.PendingOrderAsync(saleId, "dave", "m-4", quantity: 1);
        (await Client.ReconcileAsync(saleId)).Status().Should().Be("clean");

        var sale = (await Client.StatsAsync(saleId))["saleId"]!.GetValue<string>();
        MetricsScrape after = null!;
        await Eventually.UntilAsync(async () =>
        {
            after = await MetricsScrape.ReadAsync(Client.Http);
            return after.Sum("flashsale_sold", $"sale={sale}", "store=database") == 3 && after.Sum("flashsale_sold", $"sale={sale}", "store=gate") == 3;
        });

        double Moved(string name, params string[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        Moved("flashsale_purchase_answers_total", "code=accepted", "layer=gate").Should().Be(3, "alice, Bøb and dave got a 202");
        Moved("flashsale_purchase_answers_total", "code=sold_out").Should().Be(1, "carol was refused, by whichever layer knew first");
        Moved("flashsale_purchase_duration_seconds_count", "code=accepted").Should().Be(3);
        Moved("flashsale_gate_calls_total", "result=decided").Should().BeGreaterThanOrEqualTo(3);
        Moved("flashsale_gate_batch_size_count").Should().Be(Moved("flashsale_gate_calls_total"));
        Moved("flashsale_gate_call_duration_seconds_count").Should().Be(Moved("flashsale_gate_calls_total"));
        Moved("flashsale_units_accepted_total").Should().Be(4);
        Moved("flashsale_units_persisted_total").Should().BeGreaterThanOrEqualTo(4);
        Moved("flashsale_persistence_lag_seconds_count").Should().BeGreaterThanOrEqualTo(3);
        Moved("flashsale_payments_total", "outcome=paid").Should().Be(1);
        Moved("flashsale_cancellations_total", "reason=user").Should().Be(1);
        Moved("flashsale_units_returned_total", "reason=cancelled").Should().Be(1);
        Moved("flashsale_reconciliation_runs_total", "status=clean").Should().Be(1);
        after.Sum("flashsale_reconciliation_differences", $"sale={sale}").Should().Be(0);
        after.Find("flashsale_reconciliation_differences", $"sale={sale}").Should().ContainSingle();

        after.Sum("flashsale_sale_stock", $"sale={sale}").Should().Be(3);
        after.Sum("flashsale_stock_left", $"sale={sale}", "store=gate").Should().Be(0);
        after.Sum("flashsale_stock_left", $"sale={sale}", "store=database").Should().Be(0);
        after.Find("flashsale_dependency_up", "dependency=sqlite").Single().Value.Should().Be(1);
        after.Find("flashsale_queue_depth").Should().ContainSingle();
        after.Find("flashsale_dead_letters").Single().Value.Should().Be(0);
        after.Find("flashsale_admission_queue_depth").Should().ContainSingle();
        Moved("http_server_request_duration_seconds_count", "http_route=/api/sales/{saleId}/purchase").Should().Be(4);
        after.Sum("dotnet_process_cpu_time_seconds_total").Should().BeGreaterThan(0);
        after.Types.Should().ContainKey("dotnet_gc_heap_total_allocated_bytes_total");

        // Bounded labels: no user, order or request id appears anywhere.
        var values = after.Samples.SelectMany(s => s.Labels.Values).ToHashSet();
        values.Should().NotIntersectWith(["alice", "Bøb", "carol", "dave", aliceOrder, bobOrder, daveOrder, "m-1", "m-2", "m-3", "m-4"]);

        (await MetricsScrape.PromtoolComplaintsAsync(after.Text)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_scrape_needs_the_admin_key_as_a_bearer_token_or_the_admin_header()
    {
        (await Client.GetAsync("metrics")).Status.Should().Be(401);
        (await Client.GetAsync("metrics", adminKey: "wrong-admin-key-0123456789")).Status.Should().Be(403);
        (await Client.GetAsync("metrics", adminKey: TestServices.AdminKey)).Status.Should().Be(200);
        (await Client.GetAsync("metrics", token: "wrong-admin-key-0123456789")).Status.Should().Be(403);
        (await MetricsScrape.ReadAsync(Client.Http)).Types.Should().ContainKey("http_server_request_duration_seconds");
    }
}

/// <summary>An operator who keeps the scrape network private may open <c>/metrics</c>.</summary>
public sealed class OpenMetricsTests() : ApiTest(new Dictionary<string, string> { ["FlashSale:Metrics:RequireAdminKey"] = "false" })
{
    [Fact]
    public async Task Metrics_need_no_key_when_configured_so()
    {
        (await MetricsScrape.ReadAsync(Client.Http, adminKey: null)).Types.Should().ContainKey("dotnet_process_cpu_time_seconds_total");
        (await Client.GetAsync("api/admin/blacklist")).Status.Should().Be(401, "the admin API keeps its key");
    }
}

/// <summary>A gate call that fails is counted as failed, and its purchases as <c>unavailable</c> at the gate.</summary>
public sealed class GateFailureMetricsTests() : ApiTest(services: s => s.AddSingleton<IStockGate>(sp => new SwitchableGate(sp.GetRequiredService<InProcessStockGate>())))
{
    [Fact]
    public async Task A_failed_gate_call_is_counted_with_its_batch()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var token = await Client.TokenAsync("alice");
        (await Client.PurchaseAsync(saleId, token, 1, "g-1")).Status.Should().Be(202, "the sale is loaded into the gate");
        var before = await MetricsScrape.ReadAsync(Client.Http);

        ((SwitchableGate)App.Services.GetRequiredService<IStockGate>()).Failing = true;
        (await Client.PurchaseAsync(saleId, await Client.TokenAsync("bob"), 1, "g-2")).Code.Should().Be("unavailable");

        var after = await MetricsScrape.ReadAsync(Client.Http);
        (after.Sum("flashsale_gate_calls_total", "result=failed") - before.Sum("flashsale_gate_calls_total", "result=failed")).Should().Be(1);
        (after.Sum("flashsale_gate_calls_total", "result=decided") - before.Sum("flashsale_gate_calls_total", "result=decided")).Should().Be(0);
        (after.Sum("flashsale_purchase_answers_total", "code=unavailable", "layer=gate")
            - before.Sum("flashsale_purchase_answers_total", "code=unavailable", "layer=gate")).Should().Be(1);
    }

    private sealed class SwitchableGate(InProcessStockGate gate) : IStockGate
    {
        public volatile bool Failing;

        public Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken) =>
            Failing ? Task.FromException(new GateUnavailableException("switched off")) : gate.DecideAsync(saleId, requests, decisions, cancellationToken);

        public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
            gate.LoadSaleAsync(saleId, readStore, mode, cancellationToken);

        public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) => gate.GetCountersAsync(saleId, cancellationToken);

        public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => gate.FindIntentAsync(orderId, cancellationToken);

        public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
            gate.GetAcceptedRequestsAsync(saleId, cancellationToken);

        public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken) => gate.ReturnAsync(intent, cancellationToken);
    }
}

/// <summary>A dependency check that hangs is "down" at the sample's deadline; the other checks and the gauges go on.</summary>
public sealed class HangingDependencyMetricsTests() : ApiTest(
    new Dictionary<string, string> { ["FlashSale:Metrics:SampleInterval"] = "00:00:01" },
    s => s.AddHealthChecks().AddCheck<HangingDependencyMetricsTests.HangingCheck>("hanging"))
{
    [Fact]
    public async Task A_hanging_check_reads_as_down_and_holds_back_nothing_else()
    {
        var saleId = await Client.CreateSaleAsync(stock: 2, perUserLimit: 1);
        await Eventually.UntilAsync(async () =>
        {
            var scrape = await MetricsScrape.ReadAsync(Client.Http);
            return scrape.Find("flashsale_dependency_up", "dependency=hanging").Any(s => s.Value == 0)
                && scrape.Find("flashsale_dependency_up", "dependency=sqlite").Any(s => s.Value == 1)
                && scrape.Find("flashsale_sale_stock", $"sale={saleId}").Any(s => s.Value == 2);
        });
    }

    public sealed class HangingCheck : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
    {
        public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None); // a server that never answers, deaf to cancellation
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy();
        }
    }
}
