using System.Text;
using FlashSale.Core.Payments;

namespace FlashSale.Core.Tests;

public sealed class SandboxPaymentProviderTests
{
    private static readonly PaymentOptions Options = new() { WebhookSecret = "sandbox-test-secret-0123456789abcdef" };

    private readonly RecordingSink _sink = new(new PaymentWebhook(WebhookSignature.For(Options)));

    private SandboxPaymentProvider Sandbox(Func<PaymentRequest, PaymentOutcome>? decide = null) => new(WebhookSignature.For(Options), _sink, decide);

    private static PaymentRequest Pay(long orderId = 42, decimal amount = 1999m) => new(orderId, amount, "CNY", PaymentKeys.ForPayment(orderId, 1));

    [Fact]
    public async Task A_payment_completes_at_once_through_a_signed_webhook_event_that_verifies_with_the_configured_secret()
    {
        var start = await Sandbox().StartAsync(Pay(), CancellationToken.None);

        start.Status.Should().Be(PaymentStartStatus.Completed);
        start.ConfirmationUrl.Should().BeNull();
        var delivered = _sink.Reads.Should().ContainSingle().Subject;
        delivered.Status.Should().Be(WebhookDelivery.Processed, delivered.Refusal);
        delivered.Event.Should().Be(new PaymentEvent(start.PaymentId, 42, PaymentOutcome.Succeeded, 1999m, "CNY"));
        new WebhookSignature(Encoding.UTF8.GetBytes(Options.WebhookSecret!)).Verify(_sink.Bodies[0], _sink.Signatures[0]).Should().Be(SignatureCheck.Valid);
        new WebhookSignature(Encoding.UTF8.GetBytes("another-secret-0123456789abcdef0123")).Verify(_sink.Bodies[0], _sink.Signatures[0])
            .Should().Be(SignatureCheck.Mismatch);
    }

    [Fact]
    public async Task A_retried_start_with_the_same_key_is_the_same_payment_delivered_again_and_another_key_is_another_payment()
    {
        var sandbox = Sandbox();
        var first = await sandbox.StartAsync(Pay(), CancellationToken.None);
        var retry = await sandbox.StartAsync(Pay(), CancellationToken.None);
        var second = await sandbox.StartAsync(Pay() with { IdempotencyKey = PaymentKeys.ForPayment(42, 2) }, CancellationToken.None);

        retry.PaymentId.Should().Be(first.PaymentId);
        second.PaymentId.Should().NotBe(first.PaymentId);
        _sink.Reads.Select(read => read.Event!.PaymentId).Should().Equal(first.PaymentId, first.PaymentId, second.PaymentId);
        await FluentActions.Awaiting(() => sandbox.StartAsync(Pay(amount: 1m), CancellationToken.None))
            .Should().ThrowAsync<InvalidOperationException>("a key names one payment");
    }

    [Fact]
    public async Task A_declined_payment_is_delivered_as_failed()
    {
        await Sandbox(_ => PaymentOutcome.Failed).StartAsync(Pay(), CancellationToken.None);

        _sink.Reads.Single().Event!.Status.Should().Be(PaymentOutcome.Failed);
    }

    [Fact]
    public async Task A_delivery_the_webhook_path_did_not_process_is_not_reported_completed()
    {
        var wrongKey = new SandboxPaymentProvider(new WebhookSignature(Encoding.UTF8.GetBytes("not-the-configured-secret-0123456789")), _sink);

        await FluentActions.Awaiting(() => wrongKey.StartAsync(Pay(), CancellationToken.None))
            .Should().ThrowAsync<InvalidOperationException>().WithMessage("*Unauthorized*");
    }

    [Fact]
    public async Task A_refund_of_a_succeeded_payment_is_refunded_at_once_and_once_per_key()
    {
        var sandbox = Sandbox();
        var payment = await sandbox.StartAsync(Pay(), CancellationToken.None);
        var refund = new RefundRequest(payment.PaymentId, 42, 1999m, "CNY", PaymentKeys.ForRefund(payment.PaymentId), "order_cancelled");

        var result = await sandbox.RefundAsync(refund, CancellationToken.None);
        var repeated = await sandbox.RefundAsync(refund, CancellationToken.None);

        result.Status.Should().Be(RefundStatus.Refunded);
        result.RefundId.Should().NotBeNullOrEmpty();
        repeated.Should().Be(result, "a retried refund is the same refund, not a second one");
        (await sandbox.RefundAsync(refund with { IdempotencyKey = "refund:again", Amount = 0.01m }, CancellationToken.None))
            .Should().Be(RefundResult.Failed(SandboxPaymentProvider.AmountExceedsPayment), "the whole payment is back already");
        await FluentActions.Awaiting(() => sandbox.RefundAsync(refund with { Amount = 1m }, CancellationToken.None))
            .Should().ThrowAsync<InvalidOperationException>("a key names one refund");
    }

    [Fact]
    public async Task A_refund_that_cannot_be_honoured_fails_with_its_reason()
    {
        var sandbox = Sandbox(request => request.OrderId == 7 ? PaymentOutcome.Failed : PaymentOutcome.Succeeded);
        var paid = await sandbox.StartAsync(Pay(), CancellationToken.None);
        var declined = await sandbox.StartAsync(Pay(orderId: 7), CancellationToken.None);

        async Task<string?> Refund(string paymentId, long orderId, decimal amount, string currency, string key) =>
            (await sandbox.RefundAsync(new RefundRequest(paymentId, orderId, amount, currency, key, "test"), CancellationToken.None)).FailureReason;

        (await Refund("sandbox_pay_unknown", 42, 1m, "CNY", "k1")).Should().Be(SandboxPaymentProvider.UnknownPayment);
        (await Refund(paid.PaymentId, 43, 1m, "CNY", "k2")).Should().Be(SandboxPaymentProvider.UnknownPayment, "the payment is another order's");
        (await Refund(declined.PaymentId, 7, 1m, "CNY", "k3")).Should().Be(SandboxPaymentProvider.PaymentNotSucceeded);
        (await Refund(paid.PaymentId, 42, 1m, "USD", "k4")).Should().Be(SandboxPaymentProvider.CurrencyMismatch);
        (await Refund(paid.PaymentId, 42, 2000m, "CNY", "k5")).Should().Be(SandboxPaymentProvider.AmountExceedsPayment);
        (await Refund(paid.PaymentId, 42, 0m, "CNY", "k6")).Should().Be(SandboxPaymentProvider.AmountExceedsPayment);
        (await Refund(paid.PaymentId, 42, 1999m, "CNY", "k7")).Should().BeNull("nothing was refunded by the refusals");
    }

    [Fact]
    public async Task Another_sandbox_of_the_deployment_refunds_a_payment_it_did_not_make_and_nobody_can_forge_one()
    {
        var paid = await Sandbox().StartAsync(Pay(amount: 12.5m), CancellationToken.None);
        var declined = await Sandbox(_ => PaymentOutcome.Failed).StartAsync(Pay(orderId: 7), CancellationToken.None);
        var worker = Sandbox(); // another process, or this one after a restart: it has never seen either payment
        async Task<RefundResult> Refund(SandboxPaymentProvider sandbox, string paymentId, long orderId = 42, decimal amount = 12.5m, string key = "k") =>
            await sandbox.RefundAsync(new RefundRequest(paymentId, orderId, amount, "CNY", key, "test"), CancellationToken.None);

        (await Refund(worker, paid.PaymentId)).Status.Should().Be(RefundStatus.Refunded);
        (await Refund(worker, paid.PaymentId, amount: 0.01m, key: "k2")).FailureReason.Should().Be(SandboxPaymentProvider.AmountExceedsPayment, "it is all back");
        (await Refund(Sandbox(), declined.PaymentId, orderId: 7, amount: 1999m)).FailureReason.Should().Be(SandboxPaymentProvider.PaymentNotSucceeded);
        (await Refund(Sandbox(), paid.PaymentId.Replace("_12.5_", "_99.5_", StringComparison.Ordinal), amount: 99.5m))
            .FailureReason.Should().Be(SandboxPaymentProvider.UnknownPayment, "an id altered to claim more is not the sandbox's");
        var elsewhere = new SandboxPaymentProvider(new WebhookSignature(Encoding.UTF8.GetBytes("another-deployment-secret-0123456789")), _sink);
        (await Refund(elsewhere, paid.PaymentId)).FailureReason.Should().Be(SandboxPaymentProvider.UnknownPayment, "another deployment's sandbox");
    }

    [Theory]
    [InlineData(0, 1, "CNY", "pay:0:1")]
    [InlineData(42, -1, "CNY", "pay:42:1")]
    [InlineData(42, 1, "cny", "pay:42:1")]
    [InlineData(42, 1, "CNY", "")]
    [InlineData(42, 1, "CNY", "pay 42")]
    public async Task A_malformed_request_is_refused_before_anything_is_delivered(long orderId, decimal amount, string currency, string key)
    {
        await FluentActions.Awaiting(() => Sandbox().StartAsync(new PaymentRequest(orderId, amount, currency, key), CancellationToken.None))
            .Should().ThrowAsync<ArgumentException>();

        _sink.Reads.Should().BeEmpty();
    }

    /// <summary>Stands in for the webhook endpoint's code path: reads each delivery as the endpoint will, and keeps it.</summary>
    private sealed class RecordingSink(PaymentWebhook webhook) : IPaymentEventSink
    {
        public List<WebhookRead> Reads { get; } = [];
        public List<byte[]> Bodies { get; } = [];
        public List<string?> Signatures { get; } = [];

        public Task<WebhookDelivery> DeliverAsync(ReadOnlyMemory<byte> body, string? signature, CancellationToken cancellationToken)
        {
            var read = webhook.Read(body.Span, signature);
            Reads.Add(read);
            Bodies.Add(body.ToArray());
            Signatures.Add(signature);
            return Task.FromResult(read.Status);
        }
    }
}
