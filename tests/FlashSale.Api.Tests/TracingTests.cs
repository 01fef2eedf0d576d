using System.Collections.Concurrent;
using System.Diagnostics;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;

namespace FlashSale.Api.Tests;

/// <summary>
/// Traces in embedded mode: a purchase's spans, the gate's batch span and the order writer's span, linked across the
/// in-process queue; and the same exported over OTLP with the HTTP request's span as the purchase's parent. Alone: a
/// listener hears every server in the process, and the others' purchases should not pay for it.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task A_purchase_the_gate_batch_that_decided_it_and_the_writer_that_wrote_it_are_linked()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("FlashSale.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = new FlashSaleApplication();
        var client = app.CreateFlashSaleClient();
        var saleId = await client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var bought = await client.PurchaseAsync(saleId, await client.TokenAsync("traced"), 1, "traced-1");
        bought.Status.Should().Be(202);
        await client.WaitForDrainAsync(saleId);

        var purchase = await FindAsync(stopped, a => a.OperationName == PurchaseTracing.Purchase && Tag(a, PurchaseTracing.OrderIdTag) == bought.OrderId);
        Tag(purchase, PurchaseTracing.OutcomeTag).Should().Be("accepted");
        stopped.Should().ContainSingle(a => a.OperationName == PurchaseTracing.Gateway && a.ParentSpanId == purchase.SpanId);
        var admission = stopped.Single(a => a.OperationName == PurchaseTracing.Admission && a.ParentSpanId == purchase.SpanId);
        var gate = stopped.Single(a => a.OperationName == PurchaseTracing.GateDecide && a.Links.Any(l => l.Context.SpanId == admission.SpanId));
        gate.Parent.Should().BeNull("a batch serves many purchases: its span is a root of its own");
        gate.ParentSpanId.Should().Be(default(ActivitySpanId));
        admission.Links.Should().Contain(l => l.Context.TraceId == gate.TraceId && l.Context.SpanId == gate.SpanId, "the purchase points to the batch that decided it");

        // Across the in-process queue: the writer's batch links to the gate's batch span that queued the intent.
        var writer = await FindAsync(stopped, a => a.OperationName == PipelineTracing.WriterBatch
            && a.Links.Any(l => l.Context.TraceId == gate.TraceId && l.Context.SpanId == gate.SpanId));
        writer.Kind.Should().Be(ActivityKind.Consumer);
        Tag(writer, PipelineTracing.WrittenTag).Should().NotBe("0");
    }

    [Fact]
    public async Task With_an_otlp_endpoint_spans_and_metrics_are_exported_with_the_request_as_the_purchase_parent()
    {
        await using var collector = new OtlpReceiver();
        await using var app = new FlashSaleApplication(collector.Settings());
        var client = app.CreateFlashSaleClient();
        var saleId = await client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var bought = await client.PurchaseAsync(saleId, await client.TokenAsync("exported"), 1, "exported-1");
        bought.Status.Should().Be(202);
        await client.WaitForDrainAsync(saleId);

        OtlpSpan? purchase = null, gate = null;
        var spans = await collector.WaitForSpansAsync(all =>
        {
            purchase = all.FirstOrDefault(s => s.Name == PurchaseTracing.Purchase && s.Attributes.GetValueOrDefault(PurchaseTracing.OrderIdTag) == bought.OrderId);
            var admission = purchase is null ? null : all.FirstOrDefault(s => s.Name == PurchaseTracing.Admission && s.IsChildOf(purchase));
            gate = admission is null ? null : all.FirstOrDefault(s => s.Name == PurchaseTracing.GateDecide && s.LinksTo(admission));
            return gate is not null && all.Any(s => s.Name == PipelineTracing.WriterBatch && s.LinksTo(gate)) && all.Any(s => s.SpanId == purchase!.ParentSpanId);
        }, "the purchase under its request, its batch and the writer's batch linked to it");

        purchase!.Service.Should().Be("flashsale", "the default service name");
        purchase.Scope.Should().Be(PurchaseTracing.SourceName);
        var request = spans.Should().ContainSingle(s => s.SpanId == purchase.ParentSpanId, "the HTTP request's span is the purchase's parent").Subject;
        request.Scope.Should().Be("Microsoft.AspNetCore");
        request.Name.Should().Be("POST /api/sales/{saleId}/purchase", "named after its route");
        request.Attributes["http.response.status_code"].Should().Be("202");
        request.TraceId.Should().Be(purchase.TraceId);
        gate!.Scope.Should().Be(PurchaseTracing.SourceName);
        gate.ParentSpanId.Should().BeEmpty();

        // Metrics too, histograms included: the request durations and the runtime's meter.
        await collector.WaitForMetricsAsync(all => all.Any(m => m.Scope == "Microsoft.AspNetCore.Hosting" && m.Name == "http.server.request.duration")
            && all.Any(m => m.Scope == "System.Runtime" && m.Service == "flashsale"), "the HTTP server's and the runtime's meters");
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    private static async Task<Activity> FindAsync(ConcurrentQueue<Activity> stopped, Func<Activity, bool> match)
    {
        Activity? found = null;
        await Eventually.UntilAsync(() => Task.FromResult((found = stopped.FirstOrDefault(match)) is not null));
        return found!;
    }
}
