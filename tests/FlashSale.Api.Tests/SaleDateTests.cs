using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Orders;
using FlashSale.Core.Sales;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests;

/// <summary>
/// A sale's dates must be plausible (2000 to 9000): one near the ends of DateTimeOffset is refused 400, and one stored
/// before that rule (straight into the store here) does not break the calls that compute with its dates.
/// </summary>
public sealed class SaleDateTests : ApiTest
{
    [Theory]
    [InlineData("0001-01-01T00:00:00Z", "2030-01-01T00:00:00Z")]
    [InlineData("1999-12-31T23:59:59Z", "2030-01-01T00:00:00Z")]
    [InlineData("2030-01-01T00:00:00Z", "9999-12-31T23:59:59Z")]
    [InlineData("9000-01-01T00:00:00Z", "9000-01-02T00:00:00Z")]
    public async Task A_sale_starting_or_ending_at_an_absurd_date_is_refused_400(string startsAt, string endsAt)
    {
        var (status, body) = await Client.PostAsync("api/admin/sales",
            new { name = "x", productId = "p", price = 1, stock = 5, perUserLimit = 1, startsAt, endsAt }, adminKey: TestServices.AdminKey);

        (status, body?["code"]?.GetValue<string>()).Should().Be((400, "invalid_request"), body?.ToJsonString());
        body!["detail"]!.GetValue<string>().Should().Contain("2000-01-01");
    }

    [Fact]
    public async Task A_stored_sale_that_started_at_the_beginning_of_time_hands_out_challenges_instead_of_a_500()
    {
        var store = App.Services.GetRequiredService<IFlashSaleStore>();
        var sale = new Sale(4242, "Old", "p", 1m, 5, 1, DateTimeOffset.MinValue, DateTimeOffset.UtcNow.AddHours(1), 900, new SaleGatewayRules(RequireToken: true));
        await store.CreateSaleAsync(sale, CancellationToken.None);
        var token = await Client.TokenAsync("alice");

        var (status, body) = await Client.PostAsync("api/sales/4242/challenge", new { }, token);

        status.Should().Be(200, body?.ToJsonString());
        body!["challengeId"]!.GetValue<string>().Should().NotBeEmpty();
    }
}
