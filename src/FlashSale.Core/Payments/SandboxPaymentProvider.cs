using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Payments;

/// <summary>
/// A provider that behaves like a real one without money: it gives each payment an id, decides it at once
/// (<paramref name="decide"/>; succeeded unless told otherwise), and delivers the outcome as a webhook event — the
/// body a provider would send, signed with the webhook secret — to <paramref name="sink"/>, the same code path as
/// <c>POST /api/payments/webhook</c>; only once that path has processed it does <see cref="StartAsync"/> answer
/// <see cref="PaymentStartStatus.Completed"/>. Refunds complete at once. Both calls are idempotent by key, as a real
/// provider's are: a retried start delivers the same event again (the sink takes repeats), a retried refund answers
/// what it answered before, and a key reused for another order, amount or currency is refused. It keeps its payments in
/// memory (for development and tests, not for a process that runs for months), and its payment ids carry the order,
/// outcome, amount and currency under an HMAC of the webhook key: another process of the deployment (the worker that
/// runs the refunds), or this one after a restart, can refund a payment it did not make, and nobody can forge one.
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
                var outcome = (decide ?? (static _ => PaymentOutcome.Succeeded))(request);
                payment = new SandboxPayment(PaymentIdFor(request, outcome), request, outcome);
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
        if (request.PaymentId is null) return RefundResult.Failed(UnknownPayment);
        if (!_byId.TryGetValue(request.PaymentId, out var payment))
        {
            // Made by another process of the deployment, or before a restart: the id says what it was, if it is ours.
            if (PaymentFromId(request.PaymentId) is not { } known) return RefundResult.Failed(UnknownPayment);
            _byId[request.PaymentId] = payment = known;
        }
        if (payment.Request.OrderId != request.OrderId) return RefundResult.Failed(UnknownPayment);
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

    private const string PaymentPrefix = "sandbox_pay_";

    /// <summary><c>sandbox_pay_{orderId}_{s|f}_{amount}_{currency}_{random}_{mac}</c>: under 128 characters of the payment id alphabet.</summary>
    private string PaymentIdFor(PaymentRequest request, PaymentOutcome outcome)
    {
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{PaymentPrefix}{request.OrderId}_{(outcome == PaymentOutcome.Succeeded ? 's' : 'f')}_{request.Amount}_{request.Currency}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        return body + "_" + Mac(body);
    }

    /// <summary>The payment an id of <see cref="PaymentIdFor"/> stands for, or null when the id is not one (or its MAC is wrong).</summary>
    private SandboxPayment? PaymentFromId(string paymentId)
    {
        var parts = paymentId.Split('_');
        if (parts.Length != 8 || !paymentId.StartsWith(PaymentPrefix, StringComparison.Ordinal)) return null;
        var body = paymentId[..paymentId.LastIndexOf('_')];
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(body)), Encoding.ASCII.GetBytes(parts[7]))) return null;
        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var orderId) || parts[3] is not ("s" or "f")
            || !decimal.TryParse(parts[4], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)) return null;
        var request = new PaymentRequest(orderId, amount, parts[5], "unknown:" + parts[6]);
        return new SandboxPayment(paymentId, request, parts[3] == "s" ? PaymentOutcome.Succeeded : PaymentOutcome.Failed);
    }

    private string Mac(string body) => signature.Sign(Encoding.ASCII.GetBytes(body))[WebhookSignature.Prefix.Length..][..16];

    private sealed class SandboxPayment(string id, PaymentRequest request, PaymentOutcome outcome)
    {
        public string Id { get; } = id;
        public PaymentRequest Request { get; } = request;
        public PaymentOutcome Outcome { get; } = outcome;

        /// <summary>Guarded by the provider's lock.</summary>
        public decimal Refunded { get; set; }
    }
}
