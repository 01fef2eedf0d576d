using System.Diagnostics.Metrics;

namespace FlashSale.Core.Telemetry;

/// <summary>The order lifecycle's meter: payments by outcome, cancellations by reason, refunds by result.</summary>
public sealed class OrderMetrics
{
    public const string Paid = "paid", RefundPending = "refund_pending", FailedPayment = "failed", Refused = "refused";
    public const string Refunded = "refunded", RefundFailed = "failed";

    private readonly Counter<long> _payments, _cancellations, _refunds;

    public OrderMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(FlashSaleMeters.Orders);
        _payments = Meter.CreateCounter<long>("flashsale.payments", "{payment}", "Payments recorded, by outcome");
        _cancellations = Meter.CreateCounter<long>("flashsale.cancellations", "{order}", "Orders cancelled, by reason");
        _refunds = Meter.CreateCounter<long>("flashsale.refunds", "{refund}", "Refunds sent to the payment provider, by result");
    }

    public Meter Meter { get; }

    public void Payment(string outcome) => _payments.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Cancelled(string reason, int orders = 1) => _cancellations.Add(orders, new KeyValuePair<string, object?>("reason", reason));

    public void Refund(string result) => _refunds.Add(1, new KeyValuePair<string, object?>("result", result));
}
