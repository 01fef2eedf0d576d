using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using FlashSale.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

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

        var dev = Token(audience: "flashsale-dev");
        var own = Token(audience: null);

        (await StatusAsync($"api/sales/{saleId}/orders/mine", dev)).Should().Be(401, "a dev token is not this deployment's token");
        (await StatusAsync($"api/sales/{saleId}/orders/mine", own)).Should().Be(200, "a token of the deployment's own issuer is");
    }

    private async Task<int> StatusAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Client.Http.SendAsync(request);
        return (int)response.StatusCode;
    }

    /// <summary>A token signed with the test deployment's key, as its identity provider would issue it, or as a dev token is.</summary>
    private static string Token(string? audience) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "flashsale",
        Audience = audience,
        Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, "alice")]),
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestServices.SigningKey)), SecurityAlgorithms.HmacSha256),
    });
}
