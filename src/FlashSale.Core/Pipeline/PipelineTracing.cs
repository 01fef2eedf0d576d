using System.Diagnostics;
using System.Globalization;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Pipeline;

/// <summary>
/// The order pipeline's spans (<see cref="SourceName"/>), linked across the ledger and the queue:
/// <list type="bullet">
/// <item><see cref="RelayPublish"/>: one batch of ledger entries published by the relay (distributed mode). It links to the
/// purchases whose context the ledger kept with their intents, and its own context travels with each message (W3C
/// <c>traceparent</c>/<c>tracestate</c> headers on RabbitMQ).</item>
/// <item><see cref="WriterBatch"/>: one batch written by the order writer, linking to the context each message arrived with:
/// the relay's publish span, or in embedded mode the gate's batch span that queued it in process.</item>
/// </list>
/// Each span is built only when the source has listeners; links, never parents, since a batch gathers many traces.
/// </summary>
public static class PipelineTracing
{
    public const string SourceName = "FlashSale.Pipeline";

    public const string RelayPublish = "relay.publish";
    public const string WriterBatch = "writer.batch";

    public const string MessageCountTag = "messaging.batch.message_count";
    public const string WrittenTag = "flashsale.written";
    public const string RetriedTag = "flashsale.retried";
    public const string DeadLetteredTag = "flashsale.dead_lettered";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// The relay's span for one sale's batch, linking to the purchases the ledger kept a context for; null without listeners.
    /// While it is current, the queue's publisher sends its context with each message.
    /// </summary>
    internal static Activity? StartRelayPublish(long saleId, IReadOnlyList<LedgerEntry> entries)
    {
        if (!Source.HasListeners()) return null;
        List<ActivityLink>? links = null;
        foreach (var entry in entries)
        {
            if (entry.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, isRemote: true, out var purchase))
                (links ??= new List<ActivityLink>(entries.Count)).Add(new ActivityLink(purchase));
        }
        var span = Source.StartActivity(RelayPublish, ActivityKind.Producer, default(ActivityContext), links: links);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(PurchaseTracing.SaleIdTag, saleId);
            span.SetTag(MessageCountTag, entries.Count);
        }
        return span;
    }

    /// <summary>The writer's span for one batch, linking to the distinct contexts its messages were published in; null without listeners.</summary>
    internal static Activity? StartWriterBatch(IReadOnlyList<DeliveredIntent> batch)
    {
        if (!Source.HasListeners()) return null;
        List<ActivityLink>? links = null;
        for (var i = 0; i < batch.Count; i++)
        {
            var publisher = batch[i].Publisher;
            if (publisher == default) continue;
            links ??= new List<ActivityLink>();
            if (!links.Exists(l => l.Context == publisher)) links.Add(new ActivityLink(publisher));
        }
        var span = Source.StartActivity(WriterBatch, ActivityKind.Consumer, default(ActivityContext), links: links);
        if (span is { IsAllDataRequested: true }) span.SetTag(MessageCountTag, batch.Count);
        return span;
    }

    /// <summary>Records the writer's outcomes on its span (when it records).</summary>
    internal static void Written(Activity? span, WriteOutcome[] outcomes)
    {
        if (span is not { IsAllDataRequested: true }) return;
        int written = 0, retried = 0, dead = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome == WriteOutcome.Written) written++;
            else if (outcome == WriteOutcome.Retry) retried++;
            else dead++;
        }
        span.SetTag(WrittenTag, written);
        span.SetTag(RetriedTag, retried);
        span.SetTag(DeadLetteredTag, dead);
    }

    /// <summary>Marks a span failed with the exception's message; false, so that it can stand in an exception filter.</summary>
    internal static bool Failed(Activity? span, Exception exception)
    {
        span?.SetStatus(ActivityStatusCode.Error, exception.Message);
        return false;
    }

    /// <summary>A span's context as a W3C <c>traceparent</c> (what a ledger keeps with an intent).</summary>
    public static string TraceParent(ActivityContext context) => string.Create(CultureInfo.InvariantCulture,
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}");
}
