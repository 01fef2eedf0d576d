using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// 20,000 attempts by 5,000 users (quantities 1-2, limit 2) on 1,000 units, over real HTTP, spread over two
/// API+worker processes sharing one Redis, RabbitMQ and PostgreSQL.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class PurchaseRaceTests() : ServerProcessTest(new ServerProcess("api,worker"), new ServerProcess("api,worker"))
{
    private const int Stock = 1_000, Limit = 2, Users = 5_000, Attempts = 20_000;

    [Fact]
    public async Task Exactly_the_stock_is_sold_no_user_exceeds_the_limit_and_every_202_has_its_order()
    {
        var saleId = await Clients[0].CreateSaleAsync(Stock, Limit);
        var tokens = await Crowd.SignInAsync(Clients[0], Users, "racer");
        var random = new Random(42);
        var quantities = Enumerable.Range(0, Attempts).Select(_ => random.Next(1, 3)).ToArray();

        var answers = await Crowd.RaceAsync(Clients, saleId, tokens, Attempts, i => quantities[i]);

        answers.Should().HaveCount(Attempts);
        answers.Select(a => a.Answer.Status).Distinct().Should().BeSubsetOf([202, 409, 410], "a refusal is limit_exceeded or sold_out, nothing else");
        var accepted = answers.Where(a => a.Answer.Status == 202).ToList();
        accepted.Sum(a => a.Quantity).Should().Be(Stock, "exactly the stock is accepted");
        accepted.Select(a => a.Answer.OrderId).Should().OnlyHaveUniqueItems();
        accepted.GroupBy(a => a.User).Should().OnlyContain(g => g.Sum(a => a.Quantity) <= Limit, "no user above the limit in what the API accepted");

        var stats = await Clients[0].WaitForDrainAsync(saleId);
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
        orders.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Sum(o => o.Quantity) <= Limit, "no user above the limit in the database");
        (await Database.ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", long.Parse(saleId)))).Should().Be(0);
        (await Database.ScalarAsync<long>("SELECT coalesce(sum(purchased),0) FROM user_purchases WHERE sale_id = @s", ("s", long.Parse(saleId)))).Should().Be(Stock);
        stats["accepted"]!.GetValue<long>().Should().Be(Stock, "the gate agrees");
        stats["persisted"]!.GetValue<long>().Should().Be(Stock);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(0);
        stats["remainingInDb"]!.GetValue<long>().Should().Be(0);
    }
}
