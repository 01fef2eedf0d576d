using System.Text.Json;
using FlashSale.Core.Orders;
using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>
/// What an order message holds. The relay publishes one message per batch it read from a ledger, its body a JSON array of
/// intents; a message of one intent is a JSON object (the relay's batch of one, an intent the consumer split off a batch,
/// one an operator published by hand). The consumer reads both.
/// </summary>
internal static class OrderMessage
{
    /// <summary>
    /// Deliveries of the intent before this message was published: set on an intent the consumer split off a batch message
    /// (the batch's deliveries so far), added to the quorum queue's own count of this message's redeliveries.
    /// </summary>
    public const string PriorDeliveriesHeader = "x-flashsale-deliveries";

    /// <summary>Set on an intent the consumer dead-lettered itself (split off a batch message): why.</summary>
    public const string DeadLetterReasonHeader = "x-flashsale-dead-letter-reason";

    /// <summary>
    /// The intents of <paramref name="body"/>, or null when it holds none that can be written (not JSON, not an intent, an
    /// empty array). <paramref name="unreadable"/>: elements of an array that are not intents (null, no order id, no quantity);
    /// the readable ones are returned without them.
    /// </summary>
    public static OrderIntent[]? Read(ReadOnlySpan<byte> body, out int unreadable)
    {
        unreadable = 0;
        try
        {
            if (FirstToken(body) != (byte)'[')
            {
                var one = JsonSerializer.Deserialize(body, OrderMessageJsonContext.Default.OrderIntent);
                return Readable(one) ? [one!] : null;
            }
            var all = JsonSerializer.Deserialize(body, OrderMessageJsonContext.Default.OrderIntentArray);
            if (all is null) return null;
            foreach (var intent in all) if (!Readable(intent)) unreadable++;
            if (unreadable == 0) return all;
            if (unreadable == all.Length) return null;
            var readable = new OrderIntent[all.Length - unreadable];
            var n = 0;
            foreach (var intent in all) if (Readable(intent)) readable[n++] = intent;
            return readable;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool Readable(OrderIntent? intent) => intent is { OrderId: > 0, Quantity: > 0 };

    private static byte FirstToken(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return b;
        }
        return 0;
    }

    /// <summary>Earlier deliveries of a message's intents: the quorum queue counts this message's redeliveries in
    /// x-delivery-count (absent on the first), <see cref="PriorDeliveriesHeader"/> those of the batch it was split from.</summary>
    public static int PreviousDeliveries(IReadOnlyBasicProperties properties) =>
        properties.Headers is { } headers ? Count(headers, "x-delivery-count") + Count(headers, PriorDeliveriesHeader) : 0;

    private static int Count(IDictionary<string, object?> headers, string name) =>
        headers.TryGetValue(name, out var value) ? value switch { long l => (int)l, int i => i, _ => 0 } : 0;
}
