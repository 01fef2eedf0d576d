using FlashSale.Core.Orders;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Payments;

public enum CheckoutResult
{
    /// <summary>The payment is in and the order is paid.</summary>
    Paid,
    /// <summary>The provider waits for the payer; the webhook will say how it ended.</summary>
    Pending,
    /// <summary>The provider declined the payment; the order stays payable (a new attempt gets a new key).</summary>
    Declined,
    /// <summary>Already paid.</summary>
    AlreadyPaid,
    /// <summary>Not payable: queued, cancelled, failed, or past its payment deadline.</summary>
    NotPayable,
    UnknownProvider,
}

/// <param name="Order">The order as it stands after the attempt.</param>
/// <param name="PaymentId">The provider's payment id, when a payment was started.</param>
/// <param name="Provider">The provider's name, when a payment was started.</param>
public sealed record CheckoutAnswer(CheckoutResult Result, Order Order, string? PaymentId = null, Uri? ConfirmationUrl = null, string? Provider = null);

/// <summary>
/// Pays an order: checks that the order can take a payment (the lifecycle table, and its deadline), then asks the
/// provider to collect the order's amount with the key of this attempt (<see cref="PaymentKeys.ForPayment"/>: a retry
/// of the same attempt is the same payment). The outcome always arrives through <see cref="PaymentRecorder"/>, also
/// from the sandbox, which completes before it answers; the order is read again to answer.
/// </summary>
public sealed class Checkout(IFlashSaleStore store, IEnumerable<IPaymentProvider> providers, IOptions<PaymentOptions> options, TimeProvider time)
{
    /// <summary>Pays <paramref name="order"/> through <paramref name="providerName"/> (null: the configured provider).
    /// A provider that cannot be reached throws: nothing is recorded then.</summary>
    public async Task<CheckoutAnswer> PayAsync(Order order, string? providerName, CancellationToken cancellationToken)
    {
        var provider = providers.FirstOrDefault(p => p.Name == (providerName ?? options.Value.Provider));
        if (provider is null) return new CheckoutAnswer(CheckoutResult.UnknownProvider, order);
        if (Refusal(order) is { } refusal) return new CheckoutAnswer(refusal, order);

        var request = new PaymentRequest(order.OrderId, order.Amount, options.Value.Currency, PaymentKeys.ForPayment(order.OrderId, order.FailedPayments + 1));
        var start = await provider.StartAsync(request, cancellationToken).ConfigureAwait(false);
        var now = await store.FindOrderAsync(order.OrderId, cancellationToken).ConfigureAwait(false) ?? order;
        if (start.Status == PaymentStartStatus.Pending) return new CheckoutAnswer(CheckoutResult.Pending, now, start.PaymentId, start.ConfirmationUrl, provider.Name);
        if (now.Status == OrderStatus.Paid && now.Payment?.PaymentId == start.PaymentId) return new CheckoutAnswer(CheckoutResult.Paid, now, start.PaymentId);
        // Still payable: the provider declined this attempt. Otherwise the timeout or another payment came first, and
        // this payment, if it succeeded, is owed back.
        return new CheckoutAnswer(Refusal(now) ?? CheckoutResult.Declined, now, start.PaymentId);
    }

    /// <summary>Why <paramref name="order"/> cannot take a payment now, or null when it can.</summary>
    public CheckoutResult? Refusal(Order order) => OrderLifecycle.Next(order.Status, OrderEvent.PaymentSucceeded).Kind switch
    {
        TransitionKind.Moves => order.PaymentDeadline <= time.GetUtcNow() ? CheckoutResult.NotPayable : null,
        _ when order.Status == OrderStatus.Paid => CheckoutResult.AlreadyPaid,
        _ => CheckoutResult.NotPayable,
    };
}
