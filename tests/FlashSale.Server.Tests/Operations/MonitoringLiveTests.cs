using System.Globalization;
using System.Text;
using FlashSale.Core.Payments;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests.Operations;

/// <summary>
/// The monitoring files against a live distributed-mode server (real Redis, RabbitMQ, PostgreSQL): every metric the
/// dashboard and the alerting rules read is in its <c>/metrics</c>, and a real Prometheus scraping it (through
/// <c>scripts/prometheus.sh</c>) fires the dead-letter alert when a poison message is dead-lettered, and not before.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class MonitoringLiveTests() : ServerProcessTest(new ServerProcess("api,worker", new Dictionary<string, string>
{
    // The sampled gauges (dead letters, queue, stock) every second instead of five: the alert follows sooner.
    ["FlashSale__Metrics__SampleInterval"] = "00:00:01",
    // An order the database refuses is given up on quickly (the failed-units family).
    ["FlashSale__Pipeline__MaxDeliveryAttempts"] = "2",
    ["FlashSale__Pipeline__RetryBaseDelay"] = "00:00:00.050",
}))
{
    private static readonly TimeSpan AlertBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_metric_the_dashboard_the_alerts_and_the_docs_read_is_exported_by_a_distributed_server()
    {
        var read = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (panel, expr) in MonitoringFiles.DashboardExpressions())
            foreach (var name in PromQl.MetricNames(expr)) read.TryAdd(name, $"dashboard panel \"{panel}\"");
        foreach (var (variable, metric) in MonitoringFiles.DashboardVariableMetrics()) read.TryAdd(metric, $"dashboard variable ${variable}");
        foreach (var rule in MonitoringFiles.AlertRules())
            foreach (var name in PromQl.MetricNames(rule.Expr)) read.TryAdd(name, $"alert {rule.Alert}");
        foreach (var (question, expr) in MonitoringFiles.OperationsDocExpressions())
            foreach (var name in PromQl.MetricNames(expr)) read.TryAdd(name, $"docs/operations.md, \"{question}\"");
        foreach (var name in PromQl.ScrapeSeries) read.Remove(name);
        read.Keys.Should().Contain(["flashsale_dead_letters", "flashsale_sold", "http_server_request_duration_seconds_bucket"]);

        // A small sale, so that the families that only appear with their first measurement have one: a purchase paid; one
        // cancelled and then paid anyway (the payment is refunded); one the database refuses (failed, dead-lettered); a
        // reconciliation.
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, paymentTimeoutSeconds: 600);
        var (paying, paid, _) = await Client.PendingOrderAsync(saleId, "metrics-payer", "pay-1");
        (await Client.OrderActionAsync(paid, "pay", paying)).Status.Should().Be(200);
        var (cancelling, cancelled, order) = await Client.PendingOrderAsync(saleId, "metrics-canceller", "cancel-1");
        (await Client.OrderActionAsync(cancelled, "cancel", cancelling)).Status.Should().Be(200);
        var latePayer = new SandboxPaymentProvider(new WebhookSignature(Encoding.UTF8.GetBytes(TestServices.WebhookSecret)), new WebhookSink(Client));
        await latePayer.StartAsync(new PaymentRequest(long.Parse(cancelled, CultureInfo.InvariantCulture), order["amount"]!.GetValue<decimal>(), "CNY",
            "metrics-late-payment"), CancellationToken.None);
        (await Client.WaitForOrderAsync(cancelled, cancelling, "cancelled"))["refund"].Should().NotBeNull("the late payment is owed back");
        await Broker.PurgeDeadLettersAsync();
        try
        {
            await Database.ExecuteAsync("UPDATE sales SET available_stock = 0 WHERE id = @s", ("s", long.Parse(saleId, CultureInfo.InvariantCulture)));
            var refused = await Client.TokenAsync("metrics-refused");
            var doomed = await Client.PurchaseAsync(saleId, refused, 1, "refused-1");
            doomed.Status.Should().Be(202);
            await Client.WaitForOrderAsync(doomed.OrderId!, refused, "failed");
        }
        finally
        {
            await Broker.PurgeDeadLettersAsync(); // the refused order's message: the dead-letter queue is shared
        }
        (await Client.PostAsync($"api/admin/sales/{saleId}/reconcile", new { }, adminKey: TestServices.AdminKey)).Status.Should().Be(200);

        // The sampled gauges come within a sample interval: wait (bounded) until nothing is missing, then judge.
        IReadOnlyDictionary<string, string> families = new Dictionary<string, string>();
        List<string> missing = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            families = (await MetricsScrape.ReadAsync(Client.Http)).Types;
            missing = read.Keys.Where(name => PromQl.Family(name, families) is null).Order().ToList();
            if (missing.Count == 0) break;
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);

        missing.Should().BeEmpty("every metric the dashboard and the alerts read is exported; missing:\n{0}\nexported families:\n{1}",
            string.Join('\n', missing.Select(m => $"  {m} ({read[m]})")), string.Join('\n', families.Keys.Order().Select(f => "  " + f)));
    }

    [Fact]
    public async Task A_dead_lettered_order_message_fires_the_dead_letter_alert_in_a_real_prometheus_and_not_before()
    {
        // The dead-letter queue is shared by every test on this broker: start from an empty one, so what fires is ours.
        await Broker.PurgeDeadLettersAsync();
        try
        {
            await using var prometheus = await PrometheusProcess.StartAsync([Server], TestServices.AdminKey);

            // Before the fault: the target is scraped, the rule is loaded, the gauge reads 0 and the alert is inactive.
            await UntilAsync(prometheus, "the FlashSale target is up", async () =>
                (await prometheus.TargetsAsync()).Any(t => t!["labels"]!["job"]!.GetValue<string>() == "flashsale" && t["health"]!.GetValue<string>() == "up"));
            (await prometheus.RuleGroupsAsync()).SelectMany(g => g!["rules"]!.AsArray())
                .Should().Contain(r => r!["name"]!.GetValue<string>() == "FlashSaleDeadLetters" && r["health"]!.GetValue<string>() == "ok");
            await UntilAsync(prometheus, "the dead-letter gauge reads 0 and the alert is inactive", async () =>
                (await prometheus.QueryAsync("flashsale_dead_letters")) is [var sample] && sample!["value"]![1]!.GetValue<string>() == "0"
                && await prometheus.AlertStateAsync("FlashSaleDeadLetters") is null);

            // The fault: a message the order consumer cannot read, which it rejects into the dead-letter queue.
            await Broker.PublishOrderMessageAsync(Encoding.UTF8.GetBytes("{\"not\": \"an order\"}"));
            await UntilAsync(prometheus, "the dead-letter alert fires", async () => await prometheus.AlertStateAsync("FlashSaleDeadLetters") == "firing");

            (await Broker.DeadLetterCountAsync()).Should().Be(1, "the poison message, and only it, was dead-lettered");
            var alert = (await prometheus.AlertsAsync()).Single(a => a!["labels"]!["alertname"]!.GetValue<string>() == "FlashSaleDeadLetters")!;
            alert["labels"]!["severity"]!.GetValue<string>().Should().Be("ticket");
            alert["annotations"]!["summary"]!.GetValue<string>().Should().Be("1 order messages in the dead-letter queue");
            (await prometheus.TargetsAsync()).Should().Contain(t => t!["health"]!.GetValue<string>() == "up", "the target stayed up");
        }
        finally
        {
            await Broker.PurgeDeadLettersAsync();
        }
    }

    /// <summary>Hands a payment provider's events to the server's webhook, as the provider would send them.</summary>
    private sealed class WebhookSink(FlashSaleClient client) : IPaymentEventSink
    {
        public async Task<WebhookDelivery> DeliverAsync(ReadOnlyMemory<byte> body, string? signature, CancellationToken cancellationToken)
        {
            var (status, answer) = await client.WebhookAsync(body.ToArray(), signature);
            return status == 200 ? WebhookDelivery.Processed : throw new InvalidOperationException($"The webhook answered {status}: {answer?.ToJsonString()}");
        }
    }

    private async Task UntilAsync(PrometheusProcess prometheus, string what, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + AlertBound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                var alerts = (await prometheus.AlertsAsync()).ToJsonString();
                var targets = (await prometheus.TargetsAsync()).ToJsonString();
                throw new TimeoutException($"Not within {AlertBound.TotalSeconds} s: {what}.\nalerts: {alerts}\ntargets: {targets}\n" +
                    $"prometheus:\n{prometheus.Log}\nserver:\n{Server.Log}");
            }
            await Task.Delay(250);
        }
    }
}
