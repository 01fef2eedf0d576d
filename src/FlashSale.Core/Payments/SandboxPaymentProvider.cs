using System.Security.Cryptography;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Payments;

/// <summary>
/// A provider that behaves like a real one without money: it gives each payment an id, decides it at once
/// (<paramref name="decide"/>; succeeded unless told otherwise), and delivers the outcome as a webhook event — the
/// body a provider would send, signed with the webhook secret — to <paramref name="sink"/>, the same code path as
/// <c>POST /api/payments/webhook</c>; only once that path has processed it does <see cref="StartAsync"/> answer
/// <see cref="PaymentStartStatus.Completed"/>. Refunds complete at once. Both calls are idempotent by key, as a real
/// provider's are: a retried start delivers the same event again (the sink takes repeats), a retried refund answers
/// what it answered before, and a key reused for another order, amount or currency is refused. It keeps every payment
/// in memory: for development and tests, not for a process that runs for months.
/// </summary>
public sealed class SandboxPaymentProvider(WebhookSignature signature, IPaymentEventSink sink, Func<PaymentRequest, PaymentOutcome>? decide = null)
    : IPaymentProvider
{
    public const string ProviderName = "sandbox";

    public const string UnknownPayment = "unknown_payment";
    public const string PaymentNotSucceeded = "payment_not_succeeded";
    public const string CurrencyMismatch = "currency_mismatch";
    public const string AmountExceedsPayment = "amount_exceeds_payment";

    private readonly Dictionary<string, SandboxPayment> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxPayment> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (RefundRequest Request, RefundResult Result)> _refunds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public string Name => ProviderName;

    public async Task<PaymentStart> StartAsync(PaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.OrderId);
        ArgumentOutOfRangeException.ThrowIfNegative(request.Amount);
        if (!PaymentEvent.IsCurrencyCode(request.Currency)) throw new ArgumentException("The currency is not an ISO 4217 code.", nameof(request));
        RequireKey(request.IdempotencyKey);

        SandboxPayment payment;
        lock (_lock)
        {
            if (!_byKey.TryGetValue(request.IdempotencyKey, out payment!))
            {
                payment = new SandboxPayment(NewId("sandbox_pay_"), request, (decide ?? (static _ => PaymentOutcome.Succeeded))(request));
                _byKey[request.IdempotencyKey] = _byId[payment.Id] = payment;
            }
        }
        if (payment.Request != request)
        {
            throw new InvalidOperationException($"Idempotency key '{request.IdempotencyKey}' was used for another payment (order {payment.Request.OrderId}).");
        }

        var body = new PaymentEvent(payment.Id, request.OrderId, payment.Outcome, request.Amount, request.Currency).ToUtf8Json();
        var delivery = await sink.DeliverAsync(body, signature.Sign(body), cancellationToken).ConfigureAwait(false);
        if (delivery != WebhookDelivery.Processed)
        {
            throw new InvalidOperationException($"The sandbox's webhook event for payment {payment.Id} (order {request.OrderId}) was not processed: {delivery}.");
        }
        return PaymentStart.Completed(payment.Id);
    }

    public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireKey(request.IdempotencyKey);
        lock (_lock)
        {
            if (_refunds.TryGetValue(request.IdempotencyKey, out var earlier))
            {
                return earlier.Request == request
                    ? Task.FromResult(earlier.Result)
                    : throw new InvalidOperationException($"Idempotency key '{request.IdempotencyKey}' was used for another refund (payment {earlier.Request.PaymentId}).");
            }
            var result = Refund(request);
            _refunds[request.IdempotencyKey] = (request, result);
            return Task.FromResult(result);
        }
    }

    private RefundResult Refund(RefundRequest request)
    {
        if (request.PaymentId is null || !_byId.TryGetValue(request.PaymentId, out var payment) || payment.Request.OrderId != request.OrderId)
        {
            return RefundResult.Failed(UnknownPayment);
        }
        if (payment.Outcome != PaymentOutcome.Succeeded) return RefundResult.Failed(PaymentNotSucceeded);
        if (!string.Equals(payment.Request.Currency, request.Currency, StringComparison.Ordinal)) return RefundResult.Failed(CurrencyMismatch);
        if (request.Amount <= 0 || payment.Refunded + request.Amount > payment.Request.Amount) return RefundResult.Failed(AmountExceedsPayment);
        payment.Refunded += request.Amount;
        return RefundResult.Refunded(NewId("sandbox_refund_"));
    }

    private static void RequireKey(string? key)
    {
        if (!Identifiers.IsValidIdempotencyKey(key))
        {
            throw new ArgumentException("An idempotency key is 1 to 144 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.", nameof(key));
        }
    }

    private static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private sealed class SandboxPayment(string id, PaymentRequest request, PaymentOutcome outcome)
    {
        public string Id { get; } = id;
        public PaymentRequest Request { get; } = request;
        public PaymentOutcome Outcome { get; } = outcome;

        /// <summary>Guarded by the provider's lock.</summary>
        public decimal Refunded { get; set; }
    }
}
