using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>The gate fails closed: no Redis, no sale (503 unavailable, nothing sold); Redis back, the sale goes on.</summary>
[Collection(ServerCollection.Name)]
public sealed class RedisOutageTests : PrivateRedisServerTest
{
    [Fact]
    public async Task Purchases_answer_503_while_redis_is_down_and_the_sale_continues_when_it_is_back()
    {
        var (client, saleId, tokens) = await SaleWithAFirstBuyerAsync(10, "outage", "before");
        await client.WaitForDrainAsync(saleId);

        Redis.Stop();
        var during = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => client.PurchaseAsync(saleId, tokens[i], 1, $"during-{i}")));
        during.Should().OnlyContain(a => a.Status == 503 && a.Code == "unavailable" && a.ContentType == "application/problem+json");
        (await Database.OrdersAsync(long.Parse(saleId))).Should().ContainSingle("nothing was sold while the gate was down");

        await Redis.StartAsync();
        PurchaseAnswer after;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            after = await client.PurchaseAsync(saleId, tokens[1], 1, "after");
            after.Status.Should().BeOneOf([202, 503], "while Redis reconnects the answer is 202 or 503, never a guess");
            if (after.Status == 202) break;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        after.Status.Should().Be(202, "the sale continues once Redis is back");

        var sold = (await Task.WhenAll(Enumerable.Range(2, 8).Select(i => client.PurchaseAsync(saleId, tokens[i], 1, "after")))).Count(a => a.Status == 202);
        sold.Should().Be(8, "the state survived the restart: 1 + 1 sold before, 8 left");
        var stats = await client.WaitForDrainAsync(saleId);
        stats["accepted"]!.GetValue<long>().Should().Be(10);
        stats["remainingInDb"]!.GetValue<long>().Should().Be(0);
    }

    [Fact]
    public async Task A_stalled_redis_is_answered_503_within_the_gate_timeout_and_the_retry_tells_what_the_gate_decided()
    {
        var (client, saleId, tokens) = await SaleWithAFirstBuyerAsync(2, "stall", "warm-up");

        // Redis holds every write for 3 s: the gate call is sent, the batcher stops waiting after 0.5 s.
        Redis.Cli("CLIENT", "PAUSE", "3000", "WRITE").Should().Be("OK");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stalled = await client.PurchaseAsync(saleId, tokens[1], 1, "during-the-stall");
        clock.Stop();
        (stalled.Status, stalled.Code).Should().Be((503, "unavailable"), $"took {clock.Elapsed}, answered {stalled.Status} {stalled.Code}");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2.5), "the answer came before the stall ended: fail closed, never hang");

        // The call went on inside Redis once the pause was over: the outcome was unknown, the retry knows it.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var retry = await client.PurchaseAsync(saleId, tokens[1], 1, "during-the-stall");
        retry.Status.Should().Be(202);
        (await client.PurchaseAsync(saleId, tokens[1], 1, "during-the-stall")).OrderId.Should().Be(retry.OrderId);
        var stats = await client.WaitForDrainAsync(saleId);
        stats["accepted"]!.GetValue<long>().Should().Be(2, "one purchase each: the retry did not buy twice");
        (await Database.OrdersAsync(long.Parse(saleId))).Should().HaveCount(2);
    }

    /// <summary>A sale of 10 units (limit 1) and its signed-in users, the first of whom has bought one.</summary>
    private async Task<(FlashSaleClient Client, string SaleId, string[] Tokens)> SaleWithAFirstBuyerAsync(int users, string prefix, string requestId)
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var tokens = await Crowd.SignInAsync(Client, users, prefix);
        (await Client.PurchaseAsync(saleId, tokens[0], 1, requestId)).Status.Should().Be(202);
        return (Client, saleId, tokens);
    }
}
