using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class IdempotencyTests : IAsyncLifetime
{
    private readonly ServerProcess[] _servers = [new("api,worker"), new("api")];

    public Task InitializeAsync() => Task.WhenAll(_servers.Select(s => s.StartAsync()));

    public async Task DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
    }

    [Fact]
    public async Task Retrying_a_requestId_returns_the_same_order_and_deducts_once()
    {
        var clients = _servers.Select(s => FlashSaleClient.For(s)).ToArray();
        var saleId = await clients[0].CreateSaleAsync(stock: 10, perUserLimit: 2);
        var token = await clients[0].TokenAsync("retrier");

        // The same requestId, sequentially and then 20 at once through two API processes.
        var first = await clients[0].PurchaseAsync(saleId, token, 2, "same-request");
        var again = await clients[1].PurchaseAsync(saleId, token, 2, "same-request");
        var storm = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => clients[i % 2].PurchaseAsync(saleId, token, 2, "same-request")));

        first.Status.Should().Be(202);
        new[] { again }.Concat(storm).Should().OnlyContain(a => a.Status == 202 && a.OrderId == first.OrderId && a.Location == first.Location);

        var stats = await clients[0].WaitForDrainAsync(saleId);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(8, "deducted once");
        stats["remainingInDb"]!.GetValue<long>().Should().Be(8);
        (await Database.OrdersAsync(long.Parse(saleId))).Should().ContainSingle().Which.OrderId.ToString().Should().Be(first.OrderId);

        // A different requestId is a new purchase, and the limit (2) now refuses it.
        (await clients[1].PurchaseAsync(saleId, token, 1, "another-request")).Code.Should().Be("limit_exceeded");
        // Another user may use the same requestId string: ids are per user.
        var other = await clients[0].PurchaseAsync(saleId, await clients[0].TokenAsync("someone-else"), 1, "same-request");
        other.Status.Should().Be(202);
        other.OrderId.Should().NotBe(first.OrderId);
    }

    [Fact]
    public async Task After_the_sale_sells_out_a_retry_of_an_accepted_request_still_gets_its_order()
    {
        var clients = _servers.Select(s => FlashSaleClient.For(s)).ToArray();
        var saleId = await clients[0].CreateSaleAsync(stock: 1, perUserLimit: 1);
        var winner = await clients[0].TokenAsync("last-unit");
        var bought = await clients[0].PurchaseAsync(saleId, winner, 1, "lost-answer");
        bought.Status.Should().Be(202);

        // Both processes learn the sale is gone, and answer losers from their own flag...
        var loser = await clients[0].TokenAsync("too-late");
        for (var i = 0; i < 2; i++) (await clients[i].PurchaseAsync(saleId, loser, 1, $"late-{i}")).Code.Should().Be("sold_out");
        await Task.Delay(300);
        (await clients[1].PurchaseAsync(saleId, loser, 1, "late-again")).Code.Should().Be("sold_out");

        // ...but the winner whose answer was lost gets the same 202 again, from either process.
        foreach (var client in clients)
        {
            var retry = await client.PurchaseAsync(saleId, winner, 1, "lost-answer");
            retry.Status.Should().Be(202);
            retry.OrderId.Should().Be(bought.OrderId);
        }
    }
}
