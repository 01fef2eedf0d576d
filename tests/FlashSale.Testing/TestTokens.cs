using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlashSale.Testing;

/// <summary>User tokens as an identity provider issues them: HS256, issuer flashsale, sub = the user id.</summary>
public static class TestTokens
{
    /// <param name="audience">The <c>aud</c> claim: the test deployment's own (<see cref="TestServices.Audience"/>), the dev one, another, or none (null).</param>
    /// <param name="signingKey">The test deployment's key unless a forger's.</param>
    /// <param name="issuer">The deployment's issuer unless another's.</param>
    /// <param name="expires">Five minutes from now unless given (a time past makes an expired token).</param>
    public static string Mint(string userId, string? audience, string signingKey = TestServices.SigningKey, string issuer = "flashsale", DateTime? expires = null)
    {
        var until = expires ?? DateTime.UtcNow.AddMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, userId)]),
            NotBefore = until.AddMinutes(-30),
            Expires = until,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
