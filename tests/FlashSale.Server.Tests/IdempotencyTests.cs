using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class IdempotencyTests() : ServerProcessTest(new ServerProcess("api,worker"), new ServerProcess("api"))
{
    [Fact]
    public async Task Retrying_a_requestId_returns_the_same_order_and_deducts_once()
    {
        var clients = Clients;
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
        // Both processes learn the sale is gone, and answer losers from their own flag...
        var (saleId, winners, bought, loser) = await SoldOutSaleAsync(("last-unit", "lost-answer"));
        (await Clients[1].PurchaseAsync(saleId, loser, 1, "late-again")).Code.Should().Be("sold_out");

        // ...but the winner whose answer was lost gets the same 202 again, from either process.
        foreach (var client in Clients)
        {
            var retry = await client.PurchaseAsync(saleId, winners[0], 1, "lost-answer");
            retry.Status.Should().Be(202);
            retry.OrderId.Should().Be(bought[0].OrderId);
        }
    }

    [Fact]
    public async Task A_user_with_a_non_ascii_id_gets_the_same_order_after_the_sale_sold_out()
    {
        var (saleId, winners, bought, loser) = await SoldOutSaleAsync(("张三", "r-1"), ("Zoë", "r-2"));
        var (zhang, zoe) = (winners[0], winners[1]);

        foreach (var client in Clients)
        {
            (await client.PurchaseAsync(saleId, zhang, 1, "r-1")).Should().Match<PurchaseAnswer>(a => a.Status == 202 && a.OrderId == bought[0].OrderId);
            (await client.PurchaseAsync(saleId, zoe, 1, "r-2")).Should().Match<PurchaseAnswer>(a => a.Status == 202 && a.OrderId == bought[1].OrderId);
            (await client.PurchaseAsync(saleId, loser, 1, "late-again")).Code.Should().Be("sold_out");
        }
    }

    [Fact]
    public async Task A_retry_after_the_end_of_a_request_accepted_before_it_gets_its_order()
    {
        var clients = Clients;
        var saleId = await clients[0].CreateSaleAsync(stock: 10, perUserLimit: 1, lasts: TimeSpan.FromSeconds(4));
        var alice = await clients[0].TokenAsync("alice");
        var bought = await clients[0].PurchaseAsync(saleId, alice, 1, "before-the-end");
        bought.Status.Should().Be(202);

        await Task.Delay(TimeSpan.FromSeconds(4.5));

        foreach (var client in clients)
        {
            var retry = await client.PurchaseAsync(saleId, alice, 1, "before-the-end");
            (retry.Status, retry.OrderId).Should().Be((202, bought.OrderId), "the order exists: the end of the sale does not hide it");
            (await client.PurchaseAsync(saleId, alice, 1, "after-the-end")).Code.Should().Be("ended");
        }

        // Past its retention the gate forgets the sale: late requests hear "ended", and nothing is rebuilt for them.
        var sale = long.Parse(saleId);
        foreach (var name in new[] { "meta", "users", "requests", "orders" }) await Reconciliation.Gate.KeyDeleteAsync(Reconciliation.GateKey(sale, name));
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the processes' closed flags: the gate is asked
        (await clients[1].PurchaseAsync(saleId, alice, 1, "long-after-the-end")).Code.Should().Be("ended");
        (await Reconciliation.Gate.KeyExistsAsync(Reconciliation.GateKey(sale, "meta"))).Should().BeFalse();
    }

    /// <summary>
    /// A sale of one unit per buyer (limit 1), bought out: each buyer buys through the processes in turn (202),
    /// then a late user is told sold_out by each process. Returns the buyers' tokens and answers and the late
    /// user's token, once both processes have raised their sold-out flags.
    /// </summary>
    private async Task<(string SaleId, string[] Tokens, PurchaseAnswer[] Bought, string Loser)> SoldOutSaleAsync(params (string User, string RequestId)[] buyers)
    {
        var saleId = await Clients[0].CreateSaleAsync(stock: buyers.Length, perUserLimit: 1);
        var tokens = new string[buyers.Length];
        var bought = new PurchaseAnswer[buyers.Length];
        for (var i = 0; i < buyers.Length; i++)
        {
            tokens[i] = await Clients[0].TokenAsync(buyers[i].User);
            bought[i] = await Clients[i % 2].PurchaseAsync(saleId, tokens[i], 1, buyers[i].RequestId);
        }
        bought.Should().OnlyContain(b => b.Status == 202);

        var loser = await Clients[0].TokenAsync("too-late");
        for (var i = 0; i < 2; i++) (await Clients[i].PurchaseAsync(saleId, loser, 1, $"late-{i}")).Code.Should().Be("sold_out");
        await Task.Delay(300); // time for both processes to raise their sold-out flags
        return (saleId, tokens, bought, loser);
    }
}
