using System.Text.Json.Nodes;
using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>
/// A sale's protection thresholds (rate limits, risk scores) are shown to admins only: bots would tune to them. Anyone
/// sees whether a purchase token is required, which the sale page needs to show its captcha.
/// </summary>
public sealed class SaleRulesVisibilityTests : ApiTest
{
    private static readonly object Rules = new { requireToken = true, userRequestsPerWindow = 3, ipRequestsPerWindow = 100, riskChallengeScore = 40, riskRejectScore = 70 };

    [Fact]
    public async Task Anyone_sees_whether_a_token_is_required_and_only_an_admin_sees_the_thresholds()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, gatewayRules: Rules);
        var open = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);

        (await RulesAsync(saleId, adminKey: null)).Should().BeEquivalentTo(new Dictionary<string, object> { ["requireToken"] = true });
        (await RulesAsync(saleId, adminKey: "wrong-key-wrong-key")).Should().BeEquivalentTo(new Dictionary<string, object> { ["requireToken"] = true },
            "a wrong key is no admin's (and still a 200: the sale is public)");
        (await RulesAsync(open, adminKey: null)).Should().BeEquivalentTo(new Dictionary<string, object> { ["requireToken"] = false });
        (await RulesAsync(saleId, TestServices.AdminKey)).Should().BeEquivalentTo(new Dictionary<string, object>
        {
            ["requireToken"] = true, ["userRequestsPerWindow"] = 3, ["ipRequestsPerWindow"] = 100, ["riskChallengeScore"] = 40, ["riskRejectScore"] = 70,
        });
    }

    private async Task<Dictionary<string, object>> RulesAsync(string saleId, string? adminKey)
    {
        var (status, body) = await Client.GetAsync($"api/sales/{saleId}", adminKey: adminKey);
        status.Should().Be(200);
        // The rules shown: a threshold left out or null is not shown.
        return body!["gatewayRules"]!.AsObject().Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? (object)p.Value.GetValue<int>() : p.Value.GetValue<bool>());
    }
}
