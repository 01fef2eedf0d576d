using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// SIGKILL an API process and, separately, a worker process in the middle of a sale, restart them, and
/// check that no answered purchase was lost and nothing was oversold.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class CrashRecoveryTests() : ServerProcessTest(new ServerProcess("api"), new ServerProcess("api"), new ServerProcess("worker"), new ServerProcess("worker"))
{
    private const int Stock = 5_000;
    private const int Users = 10_000;

    private ServerProcess[] Apis => Servers[..2];
    private ServerProcess[] Workers => Servers[2..];

    [Fact]
    public async Task Killing_an_api_and_a_worker_mid_sale_loses_no_accepted_purchase()
    {
        var clients = Apis.Select(s => FlashSaleClient.For(s, maxConnections: 64)).ToArray();
        var survivor = clients[1];
        var saleId = await survivor.CreateSaleAsync(stock: Stock, perUserLimit: 1);
        var tokens = await Crowd.SignInAsync(survivor, Users, "crash");

        // Buyers keep coming, through both API processes, until the sale is sold out.
        using var soldOut = new CancellationTokenSource();
        // Paced (about 500 attempts/s) so that the sale is still selling when the processes are killed.
        var load = Crowd.RaceAsync(clients, saleId, tokens, attempts: 4 * Users, _ => 1, concurrency: 32, soldOut.Token, pace: TimeSpan.FromMilliseconds(50));

        await Eventually.UntilAsync(async () => (await survivor.StatsAsync(saleId))["accepted"]!.GetValue<long>() >= 1_000);
        var atWorkerKill = await survivor.StatsAsync(saleId);
        Workers[0].Kill();
        await Task.Delay(500);
        await Workers[0].StartAsync();

        await Eventually.UntilAsync(async () => (await survivor.StatsAsync(saleId))["accepted"]!.GetValue<long>() >= 2_500);
        var atApiKill = await survivor.StatsAsync(saleId);
        Apis[0].Kill();
        await Task.Delay(500);
        await Apis[0].StartAsync();
        await Eventually.UntilAsync(async () => (await survivor.StatsAsync(saleId))["remainingInGate"]!.GetValue<long>() == 0);
        await soldOut.CancelAsync();
        var answers = (await load).ToList();

        atWorkerKill["accepted"]!.GetValue<long>().Should().BeLessThan(Stock, "the worker was killed while the sale was still selling");
        atApiKill["accepted"]!.GetValue<long>().Should().BeLessThan(Stock, "the API was killed while the sale was still selling");
        answers.Should().Contain(a => a.Answer.Status == 0, "the killed API dropped connections mid-request");
        answers.Select(a => a.Answer.Status).Distinct().Should().BeSubsetOf([0, 202, 409, 410, 503]);

        var stats = await survivor.WaitForDrainAsync(saleId, TimeSpan.FromSeconds(120));
        var accepted = answers.Where(a => a.Answer.Status == 202).ToList();
        var orders = await Database.OrdersAsync(long.Parse(saleId));
        var orderIds = orders.Select(o => o.OrderId.ToString()).ToHashSet();
        accepted.Should().OnlyContain(a => orderIds.Contains(a.Answer.OrderId!), "every 202 that was returned has its order");
        orders.Should().OnlyContain(o => o.Status == "pending_payment");
        orders.Sum(o => o.Quantity).Should().Be(Stock, "sold == stock");
        orders.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Count() == 1, "limit 1 held through the crashes");
        (await Database.ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", long.Parse(saleId)))).Should().Be(0);
        stats["accepted"]!.GetValue<long>().Should().Be(Stock);
        stats["persisted"]!.GetValue<long>().Should().Be(Stock);

        // An order without a 202 can only belong to a purchase whose answer a crash swallowed (or a 503).
        var unanswered = answers.Where(a => a.Answer.Status is 0 or 503).Select(a => $"crash{a.User}").ToHashSet();
        var answeredUsers = accepted.Select(a => $"crash{a.User}").ToHashSet();
        orders.Where(o => !answeredUsers.Contains(o.UserId) && !unanswered.Contains(o.UserId)).Should().BeEmpty();
    }
}
