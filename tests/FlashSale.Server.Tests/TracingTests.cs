using System.Globalization;
using System.Text;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.RabbitMq;
using FlashSale.Server.Tests.Infrastructure;
using RabbitMQ.Client;

namespace FlashSale.Server.Tests;

/// <summary>
/// Traces exported over OTLP by real server processes: in distributed mode an API process and a worker process, the
/// purchase's context kept in the Redis ledger and the relay's in the RabbitMQ message headers, so that the purchase
/// (API), the relay's publish and the writer's batch (worker) are linked; messages without those headers still written.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DistributedTracingTests : IAsyncLifetime
{
    private readonly OtlpReceiver _collector = new();
    private ServerProcess _api = null!, _worker = null!;

    public async Task InitializeAsync()
    {
        _api = new ServerProcess("api", _collector.Settings("flashsale-api"));
        _worker = new ServerProcess("worker", _collector.Settings("flashsale-worker"));
        await Task.WhenAll(_api.StartAsync(), _worker.StartAsync());
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _worker.DisposeAsync();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task A_purchase_is_linked_through_the_ledger_and_the_queue_to_the_batch_that_wrote_it()
    {
        var client = FlashSaleClient.For(_api);
        var saleId = await client.CreateSaleAsync(stock: 3, perUserLimit: 1);
        var bought = await client.PurchaseAsync(saleId, await client.TokenAsync("traced"), 1, "traced-1");
        bought.Status.Should().Be(202);
        await client.WaitForDrainAsync(saleId);

        OtlpSpan? purchase = null, admission = null, relay = null;
        var spans = await _collector.WaitForSpansAsync(all =>
        {
            purchase = all.FirstOrDefault(s => s.Name == PurchaseTracing.Purchase && s.Attributes.GetValueOrDefault(PurchaseTracing.OrderIdTag) == bought.OrderId);
            admission = purchase is null ? null : all.FirstOrDefault(s => s.Name == PurchaseTracing.Admission && s.IsChildOf(purchase));
            relay = admission is null ? null : all.FirstOrDefault(s => s.Name == PipelineTracing.RelayPublish && s.LinksTo(admission));
            return relay is not null && all.Any(s => s.Name == PipelineTracing.WriterBatch && s.LinksTo(relay))
                && all.Any(s => s.SpanId == purchase!.ParentSpanId) && all.Any(s => s.Name == PurchaseTracing.GateDecide && s.LinksTo(admission!));
        }, "the purchase (under its request, linked with its batch) linked from the relay's publish (through the ledger), and that from the writer's batch (through the queue)");

        purchase!.Service.Should().Be("flashsale-api");
        spans.Should().Contain(s => s.SpanId == purchase.ParentSpanId && s.Scope == "Microsoft.AspNetCore", "the HTTP request's span is the purchase's parent");
        spans.Should().Contain(s => s.Name == PurchaseTracing.GateDecide && s.Service == "flashsale-api" && s.LinksTo(admission!), "the gate's batch span links to the purchase");
        relay!.Service.Should().Be("flashsale-worker", "the relay runs in the worker process: the context crossed processes in the ledger");
        relay.Scope.Should().Be(PipelineTracing.SourceName);
        relay.Attributes[PurchaseTracing.SaleIdTag].Should().Be(saleId);
        spans.Single(s => s.Name == PipelineTracing.WriterBatch && s.LinksTo(relay)).Service.Should().Be("flashsale-worker");

        // Metrics of both processes: FlashSale's own and Kestrel's requests in the API, the database client's in the worker.
        await _collector.WaitForMetricsAsync(all => all.Any(m => m.Service == "flashsale-api" && m.Name == "http.server.request.duration")
            && all.Any(m => m.Service == "flashsale-api" && m.Scope == "FlashSale.Purchasing")
            && all.Any(m => m.Service == "flashsale-worker" && m.Scope == "Npgsql"), "FlashSale's and the API's request metrics, and the worker's database client");
    }

    [Fact]
    public async Task Messages_without_trace_headers_or_with_a_malformed_one_are_still_written_while_traced()
    {
        var client = FlashSaleClient.For(_api);
        var saleId = await client.CreateSaleAsync(stock: 3, perUserLimit: 1);
        var sale = long.Parse(saleId, CultureInfo.InvariantCulture);
        var orderIds = new[] { NewOrderId(), NewOrderId() };

        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            // As published before traces existed: no headers at all.
            await channel.BasicPublishAsync(RabbitMqTopology.Exchange, RabbitMqTopology.RoutingKey, mandatory: true,
                new BasicProperties { Persistent = true, ContentType = "application/json" }, Intent(orderIds[0], sale, "legacy-1"));
            await channel.BasicPublishAsync(RabbitMqTopology.Exchange, RabbitMqTopology.RoutingKey, mandatory: true,
                new BasicProperties { Persistent = true, ContentType = "application/json", Headers = new Dictionary<string, object?> { ["traceparent"] = "00-not-a-trace-01" } },
                Intent(orderIds[1], sale, "legacy-2"));
        }

        await Eventually.UntilAsync(async () =>
            await Database.ScalarAsync<long>("SELECT count(*) FROM orders WHERE order_id = ANY(@ids) AND status = 'pending_payment'", ("ids", orderIds)) == 2);
    }

    private static byte[] Intent(long orderId, long saleId, string userId) => Encoding.UTF8.GetBytes(
        $$"""{"orderId":{{orderId}},"saleId":{{saleId}},"userId":"{{userId}}","quantity":1,"requestId":"{{userId}}","acceptedAtMs":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}""");

    /// <summary>An order id no generator of the tests' servers makes (they count milliseconds since 2026 in the high bits).</summary>
    private static long NewOrderId() => (1L << 62) | Random.Shared.NextInt64(1L << 40);
}

/// <summary>
/// Outside Development the console log is JSON, a line per entry, and a line written while a span is current carries its
/// trace: the sell-out of a traced purchase is logged in the gate's batch span, whose trace the collector received.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class JsonLogTests : EmbeddedDatabaseTest
{
    [Fact]
    public async Task Every_line_is_json_and_a_line_written_in_a_trace_carries_its_trace_id()
    {
        await using var collector = new OtlpReceiver();
        await using var server = ServerProcess.Embedded(Database.Path, collector.Settings());
        await server.StartAsync();
        var client = FlashSaleClient.For(server);
        var saleId = await client.CreateSaleAsync(stock: 1, perUserLimit: 1);
        var bought = await client.PurchaseAsync(saleId, await client.TokenAsync("張三"), 1, "last-unit");
        bought.Status.Should().Be(202);

        ServerLog.Entry? soldOut = null;
        await Eventually.UntilAsync(() => Task.FromResult((soldOut = ServerLog.Entries(server.Log).FirstOrDefault(e => e.Message.Contains($"Sale {saleId} sold out", StringComparison.Ordinal))) is not null));
        soldOut!.LogLevel.Should().Be("Information");
        soldOut.Category.Should().Be(typeof(PurchaseAdmission).FullName);
        soldOut.Message.Should().Contain(bought.OrderId!);
        soldOut.TraceId.Should().NotBeNullOrEmpty("the line was written in the gate's batch span");
        // The batch span the line names, and through its link the purchase that took the last unit (exported a little later).
        OtlpSpan? gate = null;
        await collector.WaitForSpansAsync(all =>
        {
            gate = all.FirstOrDefault(s => s.Name == PurchaseTracing.GateDecide && s.TraceId == soldOut.TraceId);
            return gate is not null && all.Any(s => s.Name == PurchaseTracing.Admission && gate.LinksTo(s)
                && all.Any(p => p.Name == PurchaseTracing.Purchase && s.IsChildOf(p) && p.Attributes.GetValueOrDefault(PurchaseTracing.OrderIdTag) == bought.OrderId));
        }, "the batch span whose trace the sell-out line names, linked to the purchase that took the last unit");
        gate!.SpanId.Should().Be(soldOut.SpanId);
        gate.Attributes[PurchaseTracing.SaleIdTag].Should().Be(saleId);

        var lines = ServerLog.Lines(server.Log).ToList();
        lines.Should().NotBeEmpty();
        foreach (var line in lines)
        {
            var act = () => ServerLog.Parse(line);
            act.Should().NotThrow("every console line outside Development is a JSON log entry: {0}", line);
        }
        ServerLog.Entries(server.Log).Should().Contain(e => e.Message.Contains("is running at", StringComparison.Ordinal), "the embedded banner is a log entry too");
    }
}
