using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>The same race as the distributed one, against one embedded server (in-process gate, SQLite).</summary>
[Collection(AloneCollection.Name)]
public sealed class EmbeddedRaceTests : ApiTest
{
    private const int Stock = 1_000, Limit = 2, Users = 5_000, Attempts = 20_000;

    [Fact]
    public async Task Exactly_the_stock_is_sold_no_user_exceeds_the_limit_and_every_202_has_its_order()
    {
        var client = Client;
        var saleId = await client.CreateSaleAsync(Stock, Limit);
        var tokens = await Crowd.SignInAsync(client, Users, "racer");
        var random = new Random(7);
        var quantities = Enumerable.Range(0, Attempts).Select(_ => random.Next(1, 3)).ToArray();

        var answers = await Crowd.RaceAsync([client], saleId, tokens, Attempts, i => quantities[i]);

        answers.Select(a => a.Answer.Status).Distinct().Should().BeSubsetOf([202, 409, 410]);
        var accepted = answers.Where(a => a.Answer.Status == 202).ToList();
        accepted.Sum(a => a.Quantity).Should().Be(Stock);
        accepted.GroupBy(a => a.User).Should().OnlyContain(g => g.Sum(a => a.Quantity) <= Limit);

        var stats = await client.WaitForDrainAsync(saleId);
        var orders = await Database.OrdersAsync(long.Parse(saleId));
        var byId = orders.ToDictionary(o => o.OrderId.ToString());
        accepted.Should().OnlyContain(a => byId.ContainsKey(a.Answer.OrderId!) && byId[a.Answer.OrderId!].Quantity == a.Quantity
                                           && byId[a.Answer.OrderId!].Status == "pending_payment");
        orders.Should().HaveCount(accepted.Count);
        orders.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Sum(o => o.Quantity) <= Limit);
        (await Database.ScalarAsync("SELECT available_stock FROM sales WHERE id = @s", long.Parse(saleId))).Should().Be(0);
        stats["accepted"]!.GetValue<long>().Should().Be(Stock);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(0);
    }
}
