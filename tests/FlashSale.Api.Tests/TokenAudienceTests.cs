using System.Net.Http.Headers;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Server.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace FlashSale.Api.Tests;

/// <summary>
/// A user token must be for this deployment (FlashSale:Auth:Audience, here <see cref="TestServices.Audience"/>): one signed
/// with the right key but for no audience or another one is 401. Dev tokens (audience flashsale-dev) work where they are on.
/// </summary>
public sealed class TokenAudienceTests : ApiTest
{
    [Fact]
    public async Task A_token_signed_with_the_key_but_without_the_deployments_audience_is_401()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1);
        var mine = $"api/sales/{saleId}/orders/mine";

        (await StatusAsync(mine, TestTokens.Mint("alice", TestServices.Audience))).Should().Be(200, "the deployment's own audience");
        (await StatusAsync(mine, await Client.TokenAsync("alice"))).Should().Be(200, "a dev token, dev tokens being on here");
        (await StatusAsync(mine, TestTokens.Mint("alice", audience: null))).Should().Be(401, "no audience: a token for anything");
        (await StatusAsync(mine, TestTokens.Mint("alice", "another-service"))).Should().Be(401, "another service's token, signed with a shared key");
    }

    private async Task<int> StatusAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Client.Http.SendAsync(request);
        return (int)response.StatusCode;
    }
}

/// <summary>FlashSale:Auth:Audience names this deployment's tokens: never empty, never the dev tokens' audience.</summary>
public sealed class TokenAudienceOptionTests
{
    [Theory]
    [InlineData("")]
    [InlineData("flashsale-dev")]
    public void An_audience_that_is_empty_or_the_dev_one_stops_the_start(string audience)
    {
        var options = new FlashSaleOptions { AdminKey = TestServices.AdminKey, Auth = { SigningKey = TestServices.SigningKey, Audience = audience } };

        var result = new FlashSaleOptionsValidator(new HostingEnvironment { EnvironmentName = "Production" }).Validate(null, options);

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("FlashSale:Auth:Audience");
    }
}
