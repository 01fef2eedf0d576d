using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>SIGKILL the embedded server mid-sale: a 202 means the intent was on disk, so every one survives.</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddedCrashTests : EmbeddedServerTest
{
    private const int Stock = 2_000;

    [Fact]
    public async Task Every_202_before_the_kill_has_its_order_after_restart_and_the_sale_continues()
    {
        var client = FlashSaleClient.For(Server, maxConnections: 64);
        var saleId = await client.CreateSaleAsync(stock: Stock, perUserLimit: 1);
        var tokens = await Crowd.SignInAsync(client, 6_000, "embedded-crash");

        using var stop = new CancellationTokenSource();
        var load = Crowd.RaceAsync([client], saleId, tokens, attempts: 6_000, _ => 1, concurrency: 32, stop.Token, pace: TimeSpan.FromMilliseconds(20));
        await Eventually.UntilAsync(async () => (await client.StatsAsync(saleId))["accepted"]!.GetValue<long>() >= 500);
        Server.Kill();
        await stop.CancelAsync();
        var beforeKill = (await load).ToList();
        var acceptedBeforeKill = beforeKill.Where(a => a.Answer.Status == 202).ToList();
        // The stats counted 500 journaled units; a few of their answers may have been cut by the kill.
        acceptedBeforeKill.Count.Should().BeInRange(400, Stock - 1, "the kill came in the middle of the sale");

        await Server.StartAsync();
        await client.WaitForDrainAsync(saleId);
        var orders = await Database.OrdersAsync(long.Parse(saleId));
        var orderIds = orders.Select(o => o.OrderId.ToString()).ToHashSet();
        acceptedBeforeKill.Should().OnlyContain(a => orderIds.Contains(a.Answer.OrderId!), "every 202 returned before the kill has its order");

        // The sale continues where it stopped: fresh users buy the rest, and not one unit more.
        var freshTokens = await Crowd.SignInAsync(client, 3_000, "embedded-after");
        var after = (await Crowd.RaceAsync([client], saleId, freshTokens, 3_000, _ => 1, concurrency: 64)).ToList();
        after.Should().Contain(a => a.Answer.Status == 202);
        var stats = await client.WaitForDrainAsync(saleId);
        orders = await Database.OrdersAsync(long.Parse(saleId));
        orders.Sum(o => o.Quantity).Should().Be(Stock, "sold == stock, never more");
        orders.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Count() == 1);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(0);
        (await Database.ScalarAsync("SELECT available_stock FROM sales WHERE id = @s", long.Parse(saleId))).Should().Be(0);
    }
    [Fact]
    public async Task Buyers_retrying_across_a_kill_keep_every_202_nobody_above_the_limit_and_the_journal_agrees_with_the_gate()
    {
        const int stock = 1_000, limit = 2, users = 1_500, attempts = 3_000;
        var client = Buyers.ClientFor(Server);
        var saleId = await client.CreateSaleAsync(stock, limit);
        var tokens = await Crowd.SignInAsync(client, users, "embedded-chaos");
        var random = new Random(11);
        var quantities = Enumerable.Range(0, attempts).Select(_ => random.Next(4) == 0 ? 2 : 1).ToArray();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));

        // The crowd keeps going through the kill: a lost connection is retried with the same requestId.
        var load = Buyers.RunAsync([client], saleId, tokens, "embedded-chaos", attempts, i => quantities[i], concurrency: 16, pace: TimeSpan.FromMilliseconds(30), stop.Token);
        var atKill = await SaleAudit.UntilAsync(client, saleId, s => s.Long("accepted") >= 300, TimeSpan.FromSeconds(60), "300 units accepted");
        Server.Kill();
        await Task.Delay(500);
        await Server.StartAsync();
        var answers = await load;

        answers.Should().HaveCount(attempts);
        atKill.Long("accepted").Should().BeLessThan(stock, "the kill came in the middle of the sale");
        answers.Should().Contain(a => a.Tries.Any(t => t.Answer.Status == 0), "the kill dropped connections mid-request");
        var stats = await SaleAudit.VerifyAsync(client, SaleAudit.Sqlite(Database, saleId), saleId, stock, limit, answers);
        stats.Long("remainingInGate").Should().Be(0, "the sale continued after the restart and sold out");
    }
}
