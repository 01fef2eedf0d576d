using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>Embedded mode answers a retry after the end like distributed mode does: with the order it made.</summary>
public sealed class EmbeddedIdempotencyTests : ApiTest
{
    [Fact]
    public async Task A_retry_after_the_end_of_a_request_accepted_before_it_gets_its_order()
    {
        var client = Client;
        // Long enough to sign in and buy on a busy machine; then the test waits for the end itself.
        var saleId = await client.CreateSaleAsync(stock: 10, perUserLimit: 1, lasts: TimeSpan.FromSeconds(6));
        var alice = await client.TokenAsync("Zoë");
        var bought = await client.PurchaseAsync(saleId, alice, 1, "before-the-end");
        bought.Status.Should().Be(202);

        for (var waited = 0; (await client.GetAsync($"api/sales/{saleId}")).Body!["state"]!.GetValue<string>() != "ended"; waited += 200)
        {
            waited.Should().BeLessThan(30_000, "the sale ends 6 s after it starts");
            await Task.Delay(200);
        }

        var retry = await client.PurchaseAsync(saleId, alice, 1, "before-the-end");
        (retry.Status, retry.OrderId).Should().Be((202, bought.OrderId));
        (await client.PurchaseAsync(saleId, alice, 1, "after-the-end")).Code.Should().Be("ended");
    }
}
