using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlashSale.Api.Tests.Infrastructure;

/// <summary>User tokens as an identity provider issues them: HS256, issuer flashsale, sub = the user id.</summary>
public static class TestTokens
{
    /// <param name="audience">The <c>aud</c> claim: the test deployment's own (<see cref="TestServices.Audience"/>), the dev one, another, or none (null).</param>
    /// <param name="signingKey">The test deployment's key unless a forger's.</param>
    public static string Mint(string userId, string? audience, string signingKey = TestServices.SigningKey) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "flashsale",
        Audience = audience,
        Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, userId)]),
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
    });
}
