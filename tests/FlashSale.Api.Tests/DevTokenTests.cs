using System.Net.Http.Headers;
using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>
/// An embedded server outside Development, with dev tokens left unset: no one can mint an identity, and a dev token
/// (signed with the same key by a server that has them) is refused; the deployment's own tokens still work.
/// </summary>
public sealed class DevTokenTests() : ApiTest(new Dictionary<string, string> { ["FlashSale:Auth:DevTokens"] = "" })
{
    [Fact]
    public async Task Outside_development_dev_tokens_are_off_by_default_and_a_dev_token_is_refused()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1);
        (await Client.PostAsync("api/dev/token", new { userId = "mallory" })).Status.Should().Be(404, "no dev sign-in outside Development unless turned on");

        var dev = TestTokens.Mint("alice", audience: "flashsale-dev");
        var own = TestTokens.Mint("alice", audience: TestServices.Audience);

        (await StatusAsync($"api/sales/{saleId}/orders/mine", dev)).Should().Be(401, "a dev token is not this deployment's token");
        (await StatusAsync($"api/sales/{saleId}/orders/mine", own)).Should().Be(200, "a token of the deployment's own issuer and audience is");
    }

    private async Task<int> StatusAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Client.Http.SendAsync(request);
        return (int)response.StatusCode;
    }
}
