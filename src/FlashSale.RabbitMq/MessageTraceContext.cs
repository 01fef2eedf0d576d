using System.Diagnostics;
using System.Text;
using FlashSale.Core.Pipeline;
using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>
/// The trace context in an order message's headers, W3C <c>traceparent</c>/<c>tracestate</c> through the process's
/// <see cref="DistributedContextPropagator"/>. Written only while a span is current at publish (the relay's, when traced),
/// read only while the pipeline is traced here; a message without it (older ones, untraced publishers) is the same message.
/// </summary>
internal static class MessageTraceContext
{
    /// <summary>Headers carrying the current span's context, or null when no span is current (then nothing is allocated).</summary>
    public static Dictionary<string, object?>? Inject()
    {
        if (Activity.Current is not { } current) return null;
        var headers = new Dictionary<string, object?>(2, StringComparer.Ordinal);
        DistributedContextPropagator.Current.Inject(current, headers, static (carrier, name, value) =>
        {
            if (carrier is Dictionary<string, object?> h && value is not null) h[name] = value;
        });
        return headers.Count == 0 ? null : headers;
    }

    /// <summary>Copies the trace context of a message's headers (<paramref name="original"/>, when it has one) into <paramref name="headers"/>:
    /// an intent split off a batch message keeps the batch's context.</summary>
    public static void Copy(IDictionary<string, object?>? original, Dictionary<string, object?> headers)
    {
        if (original is null) return;
        foreach (var name in DistributedContextPropagator.Current.Fields)
        {
            if (original.TryGetValue(name, out var value) && value is not null) headers[name] = value;
        }
    }

    /// <summary>The context a message was published in; default when it has none, a malformed one, or tracing is off here.</summary>
    public static ActivityContext Extract(IReadOnlyBasicProperties properties)
    {
        if (properties.Headers is not { Count: > 0 } headers || !PipelineTracing.Source.HasListeners()) return default;
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is IDictionary<string, object?> h && h.TryGetValue(name, out var raw)
                ? raw switch { byte[] bytes => Encoding.UTF8.GetString(bytes), string text => text, _ => null }
                : null;
        }, out var traceParent, out var traceState);
        return traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
