using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>The same race as the distributed one, against one embedded server (in-process gate, SQLite).</summary>
[Collection(AloneCollection.Name)]
public sealed class EmbeddedRaceTests : ApiTest
{
    [Fact]
    public async Task Exactly_the_stock_is_sold_no_user_exceeds_the_limit_and_every_202_has_its_order()
    {
        var client = Client;
        var saleId = await client.CreateSaleAsync(stock: 1_000, perUserLimit: 2);
        var tokens = await Crowd.SignInAsync(client, 5_000, "racer");
        var random = new Random(7);
        var quantities = Enumerable.Range(0, 20_000).Select(_ => random.Next(1, 3)).ToArray();

        var answers = await Crowd.RaceAsync([client], saleId, tokens, 20_000, i => quantities[i]);

        answers.Select(a => a.Answer.Status).Distinct().Should().BeSubsetOf([202, 409, 410]);
        var accepted = answers.Where(a => a.Answer.Status == 202).ToList();
        accepted.Sum(a => a.Quantity).Should().Be(1_000);
        accepted.GroupBy(a => a.User).Should().OnlyContain(g => g.Sum(a => a.Quantity) <= 2);

        var stats = await client.WaitForDrainAsync(saleId);
        var orders = await Database.OrdersAsync(long.Parse(saleId));
        var byId = orders.ToDictionary(o => o.OrderId.ToString());
        accepted.Should().OnlyContain(a => byId.ContainsKey(a.Answer.OrderId!) && byId[a.Answer.OrderId!].Quantity == a.Quantity
                                           && byId[a.Answer.OrderId!].Status == "pending_payment");
        orders.Should().HaveCount(accepted.Count);
        orders.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Sum(o => o.Quantity) <= 2);
        (await Database.ScalarAsync("SELECT available_stock FROM sales WHERE id = @s", long.Parse(saleId))).Should().Be(0);
        stats["accepted"]!.GetValue<long>().Should().Be(1_000);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(0);
    }
}
