using System.Globalization;

namespace FlashSale.Core.Payments;

/// <summary>
/// A payment provider (the sandbox; later Alipay, WeChat Pay, Stripe): starts a payment for an order and refunds one.
/// The outcome of a payment always arrives as a signed webhook event (<see cref="PaymentEvent"/>), also when the
/// provider completes at once: one code path marks orders paid. Every call carries an idempotency key, so a call
/// retried after a timeout never charges or refunds twice.
/// </summary>
public interface IPaymentProvider
{
    /// <summary>How configuration and <c>POST /api/orders/{orderId}/pay {provider}</c> name it (<c>sandbox</c>).</summary>
    string Name { get; }

    Task<PaymentStart> StartAsync(PaymentRequest request, CancellationToken cancellationToken);

    Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Asks the provider to collect <paramref name="Amount"/> (price × quantity) in <paramref name="Currency"/> for an order.
/// <paramref name="IdempotencyKey"/> is the same for every retry of one attempt (<see cref="PaymentKeys.ForPayment"/>).
/// </summary>
public sealed record PaymentRequest(long OrderId, decimal Amount, string Currency, string IdempotencyKey);

public enum PaymentStartStatus
{
    /// <summary>The provider has decided and delivered its webhook event before answering; the order shows the outcome.</summary>
    Completed,

    /// <summary>The payer still has to confirm (at <see cref="PaymentStart.ConfirmationUrl"/>, if any); the webhook follows later.</summary>
    Pending,
}

/// <summary>A started payment: the provider's payment id, and whether its outcome is already in or the payer must still confirm.</summary>
public sealed record PaymentStart(PaymentStartStatus Status, string PaymentId, Uri? ConfirmationUrl)
{
    public static PaymentStart Completed(string paymentId) => new(PaymentStartStatus.Completed, paymentId, null);

    public static PaymentStart Pending(string paymentId, Uri? confirmationUrl) => new(PaymentStartStatus.Pending, paymentId, confirmationUrl);
}

/// <summary>
/// Gives back <paramref name="Amount"/> of payment <paramref name="PaymentId"/> (a payment that must not be honoured:
/// its order was cancelled or paid by another payment). <paramref name="IdempotencyKey"/>: <see cref="PaymentKeys.ForRefund"/>.
/// </summary>
public sealed record RefundRequest(string PaymentId, long OrderId, decimal Amount, string Currency, string IdempotencyKey, string Reason);

public enum RefundStatus
{
    /// <summary>Accepted, not yet settled (<c>refund_pending</c>); ask again with the same idempotency key.</summary>
    Pending,

    /// <summary>The money is back (<c>refunded</c>).</summary>
    Refunded,

    /// <summary>Refused for good (<see cref="RefundResult.FailureReason"/>): unknown payment, more than was paid, a currency other than the payment's.</summary>
    Failed,
}

public sealed record RefundResult(RefundStatus Status, string? RefundId, string? FailureReason)
{
    public static RefundResult Refunded(string refundId) => new(RefundStatus.Refunded, refundId, null);

    public static RefundResult Pending(string refundId) => new(RefundStatus.Pending, refundId, null);

    public static RefundResult Failed(string reason) => new(RefundStatus.Failed, null, reason);
}

/// <summary>
/// The idempotency keys: one per payment attempt of an order (a failed attempt is followed by a new one), one per
/// refunded payment (a payment is refunded whole, once). Both pass
/// <see cref="Purchasing.Identifiers.IsValidIdempotencyKey"/>, which every provider and store takes.
/// </summary>
public static class PaymentKeys
{
    public static string ForPayment(long orderId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"pay:{orderId}:{attempt}");

    public static string ForRefund(string paymentId) => "refund:" + paymentId;
}
