namespace FlashSale.Core.Payments;

/// <summary>How the webhook's code path took one delivery; the endpoint answers 200, 401, 400 and 422 for them.</summary>
public enum WebhookDelivery
{
    /// <summary>Applied, or already applied before (a repeated delivery): 200.</summary>
    Processed,

    /// <summary>Missing, malformed or wrong signature: 401.</summary>
    Unauthorized,

    /// <summary>Signed, but not a valid event (<see cref="PaymentEvent.TryParse"/>'s refusal): 400.</summary>
    Invalid,

    /// <summary>The amount or currency is not the order's (price × quantity, FlashSale:Payments:Currency): 422 <c>amount_mismatch</c>.</summary>
    AmountMismatch,

    /// <summary>No such order in the database (yet): 404 <c>order_not_found</c>; a provider retries a non-2xx delivery.</summary>
    UnknownOrder,
}

/// <summary>
/// Where a provider's webhook deliveries go: the endpoint <c>POST /api/payments/webhook</c> hands its raw body and
/// signature header here, and so does <see cref="SandboxPaymentProvider"/> — one code path for both.
/// </summary>
public interface IPaymentEventSink
{
    Task<WebhookDelivery> DeliverAsync(ReadOnlyMemory<byte> body, string? signature, CancellationToken cancellationToken);
}

/// <summary>A delivery read: <see cref="WebhookDelivery.Processed"/> with a verified, valid event ready to apply, or why it is refused.</summary>
public sealed record WebhookRead(WebhookDelivery Status, PaymentEvent? Event, string? Refusal);

/// <summary>
/// The first half of every delivery, before any store is touched: the signature over the raw bytes first (an
/// unsigned body is never parsed), then the strict parse. An oversize body is refused before it is hashed.
/// </summary>
public sealed class PaymentWebhook(WebhookSignature signature)
{
    public WebhookRead Read(ReadOnlySpan<byte> body, string? signatureHeader)
    {
        if (body.Length > PaymentEvent.MaxBodyBytes) return new WebhookRead(WebhookDelivery.Invalid, null, PaymentEvent.OversizeRefusal);
        if (signature.Verify(body, signatureHeader) != SignatureCheck.Valid) return new WebhookRead(WebhookDelivery.Unauthorized, null, "The signature is missing or wrong.");
        return PaymentEvent.TryParse(body, out var paymentEvent, out var refusal)
            ? new WebhookRead(WebhookDelivery.Processed, paymentEvent, null)
            : new WebhookRead(WebhookDelivery.Invalid, null, refusal);
    }
}
