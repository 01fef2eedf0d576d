using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// 20,000 attempts by 5,000 users (quantities 1-2, limit 2) on 1,000 units, over real HTTP, spread over two
/// API+worker processes sharing one Redis, RabbitMQ and PostgreSQL.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class PurchaseRaceTests : IAsyncLifetime
{
    private readonly ServerProcess[] _servers = [new("api,worker"), new("api,worker")];

    public Task InitializeAsync() => Task.WhenAll(_servers.Select(s => s.StartAsync()));

    public async Task DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
    }

    [Fact]
    public async Task Exactly_the_stock_is_sold_no_user_exceeds_the_limit_and_every_202_has_its_order()
    {
        var clients = _servers.Select(s => FlashSaleClient.For(s)).ToArray();
        var saleId = await clients[0].CreateSaleAsync(stock: 1_000, perUserLimit: 2);
        var tokens = await Crowd.SignInAsync(clients[0], 5_000, "racer");
        var random = new Random(42);
        var quantities = Enumerable.Range(0, 20_000).Select(_ => random.Next(1, 3)).ToArray();

        var answers = await Crowd.RaceAsync(clients, saleId, tokens, 20_000, i => quantities[i]);

        answers.Should().HaveCount(20_000);
        answers.Select(a => a.Answer.Status).Distinct().Should().BeSubsetOf([202, 409, 410], "a refusal is limit_exceeded or sold_out, nothing else");
        var accepted = answers.Where(a => a.Answer.Status == 202).ToList();
        accepted.Sum(a => a.Quantity).Should().Be(1_000, "exactly the stock is accepted");
        accepted.Select(a => a.Answer.OrderId).Should().OnlyHaveUniqueItems();
        accepted.GroupBy(a => a.User).Should().OnlyContain(g => g.Sum(a => a.Quantity) <= 2, "no user above the limit in what the API accepted");

        var stats = await clients[0].WaitForDrainAsync(saleId);
        var orders = await Database.OrdersAsync(long.Parse(saleId));
        var byId = orders.ToDictionary(o => o.OrderId.ToString());
        foreach (var a in accepted)
        {
            byId.Should().ContainKey(a.Answer.OrderId!, "every 202 has its order in PostgreSQL");
            var order = byId[a.Answer.OrderId!];
            order.Status.Should().Be("pending_payment");
            order.Quantity.Should().Be(a.Quantity);
            order.UserId.Should().Be($"racer{a.User}");
        }
        orders.Should().HaveCount(accepted.Count, "no order exists that was not answered 202");
        orders.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Sum(o => o.Quantity) <= 2, "no user above the limit in the database");
        (await Database.ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", long.Parse(saleId)))).Should().Be(0);
        (await Database.ScalarAsync<long>("SELECT coalesce(sum(purchased),0) FROM user_purchases WHERE sale_id = @s", ("s", long.Parse(saleId)))).Should().Be(1_000);
        stats["accepted"]!.GetValue<long>().Should().Be(1_000, "the gate agrees");
        stats["persisted"]!.GetValue<long>().Should().Be(1_000);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(0);
        stats["remainingInDb"]!.GetValue<long>().Should().Be(0);
    }
}
