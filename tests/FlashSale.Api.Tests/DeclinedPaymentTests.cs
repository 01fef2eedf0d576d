using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Payments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlashSale.Api.Tests;

/// <summary>A provider that declines an order's first payment attempt: the order stays payable, and the next attempt is a new payment.</summary>
public sealed class DeclinedPaymentTests() : ApiTest(services: services => services.Replace(ServiceDescriptor.Singleton<IPaymentProvider>(sp =>
    new SandboxPaymentProvider(sp.GetRequiredService<WebhookSignature>(), sp.GetRequiredService<IPaymentEventSink>(),
        request => request.IdempotencyKey.EndsWith(":1", StringComparison.Ordinal) ? PaymentOutcome.Failed : PaymentOutcome.Succeeded))))
{
    [Fact]
    public async Task A_declined_payment_leaves_the_order_payable_and_the_next_attempt_is_a_new_payment()
    {
        var saleId = await Client.CreateSaleAsync(stock: 3, perUserLimit: 1, paymentTimeoutSeconds: 600);
        var (token, orderId, _) = await Client.PendingOrderAsync(saleId, "Zoë", "declined-1", quantity: 1);

        var declined = await Client.OrderActionAsync(orderId, "pay", token);
        (declined.Status, declined.Body!["code"]!.GetValue<string>()).Should().Be((402, "payment_declined"));
        (await Client.WaitForOrderAsync(orderId, token, "pending_payment"))["payment"].Should().BeNull();

        var paid = await Client.OrderActionAsync(orderId, "pay", token);
        paid.Status.Should().Be(200, paid.Body?.ToJsonString());
        paid.Body!["status"]!.GetValue<string>().Should().Be("paid");
        paid.Body["refund"].Should().BeNull("the declined attempt charged nothing; the second one is the only payment");
    }
}
