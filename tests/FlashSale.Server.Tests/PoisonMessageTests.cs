using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class PoisonMessageTests() : ServerProcessTest(new ServerProcess("api,worker", new Dictionary<string, string>
{
    ["FlashSale__Pipeline__MaxDeliveryAttempts"] = "3",
    ["FlashSale__Pipeline__RetryBaseDelay"] = "00:00:00.050",
}))
{
    [Fact]
    public async Task An_order_the_database_keeps_refusing_is_dead_lettered_failed_and_its_stock_returned()
    {
        var client = Client;
        var saleId = await client.CreateSaleAsync(stock: 5, perUserLimit: 2);
        var sale = long.Parse(saleId);
        // The database no longer has the stock the gate has: every write of this sale's orders is refused.
        await Database.ExecuteAsync("UPDATE sales SET available_stock = 0 WHERE id = @s", ("s", sale));
        var deadBefore = await Broker.DeadLetterCountAsync();
        var token = await client.TokenAsync("unlucky");

        var bought = await client.PurchaseAsync(saleId, token, 2, "doomed");
        bought.Status.Should().Be(202);
        (await client.StatsAsync(saleId))["remainingInGate"]!.GetValue<long>().Should().Be(3);

        var status = "";
        for (var i = 0; i < 300 && status != "failed"; i++)
        {
            await Task.Delay(100);
            status = (await client.GetAsync($"api/orders/{bought.OrderId}", token)).Body?["status"]?.GetValue<string>() ?? "";
        }
        status.Should().Be("failed", "the user sees the order failed");

        var stats = await client.StatsAsync(saleId);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(5, "the stock went back to the gate");
        stats["returned"]!.GetValue<long>().Should().Be(2);
        stats["accepted"]!.GetValue<long>().Should().Be(0);
        (await WaitForAsync(async () => await Broker.DeadLetterCountAsync() == deadBefore + 1)).Should().BeTrue("the message is in the dead-letter queue");
        (await Database.ScalarAsync<long>("SELECT count(*) FROM user_purchases WHERE sale_id = @s", ("s", sale))).Should().Be(0);

        // The quota came back too: with stock restored in the database, the same user buys again.
        await Database.ExecuteAsync("UPDATE sales SET available_stock = 5 WHERE id = @s", ("s", sale));
        (await client.PurchaseAsync(saleId, token, 2, "second-chance")).Status.Should().Be(202);
        // The failed requestId keeps its answer: the same order, not a new purchase.
        (await client.PurchaseAsync(saleId, token, 2, "doomed")).OrderId.Should().Be(bought.OrderId);
        var drained = await client.WaitForDrainAsync(saleId);
        drained["persisted"]!.GetValue<long>().Should().Be(2);
    }

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return false;
    }
}
