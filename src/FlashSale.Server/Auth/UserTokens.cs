using System.Security.Claims;
using System.Text;
using FlashSale.Server.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlashSale.Server.Auth;

/// <summary>
/// Issues and validates user tokens: JWT, HS256, sub = user id, issued by <see cref="AuthOptions.Issuer"/> for
/// <see cref="AuthOptions.Audience"/> (a token without that audience, or for another, is refused). The tokens it issues
/// itself (<c>POST /api/dev/token</c>) carry the audience <see cref="DevAudience"/> instead, and a server without dev tokens
/// refuses them, though they are signed with its key.
/// </summary>
public sealed class UserTokens
{
    public const string DevAudience = "flashsale-dev";
    public const string SubjectClaim = JwtRegisteredClaimNames.Sub;
    public const int MaxUserIdLength = Identifiers.MaxUserIdLength;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly SigningCredentials _credentials;
    private readonly TokenValidationParameters _validation;
    private readonly AuthOptions _auth;
    private readonly TimeProvider _time;
    private readonly Hs256Tokens _tokens;

    public UserTokens(IOptions<FlashSaleOptions> options, TimeProvider time)
    {
        _auth = options.Value.Auth;
        _time = time;
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(_auth.SigningKey!));
        _credentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = _auth.Issuer,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudiences = _auth.DevTokens == true ? [_auth.Audience, DevAudience] : [_auth.Audience],
            ValidateLifetime = true,
            RequireExpirationTime = true,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = JwtRegisteredClaimNames.Sub,
        };
        // The real clock, as IdentityModel's validation read it: a test clock moved days ahead does not expire buyers' tokens.
        // A token that names the dev audience among others is still a dev token.
        _tokens = new Hs256Tokens(key.Key, _auth.Issuer, [.. _validation.ValidAudiences], _auth.DevTokens == true ? null : DevAudience,
            _validation.ClockSkew, TimeProvider.System);
    }

    public static bool IsValidUserId(string? userId) => Identifiers.IsValidUserId(userId);

    public (string Token, DateTimeOffset ExpiresAt) Issue(string userId)
    {
        var now = _time.GetUtcNow();
        var expires = now + _auth.DevTokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _auth.Issuer,
            Audience = DevAudience,
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, userId)]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _credentials,
        });
        return (token, expires);
    }

    /// <summary>The claims of a valid token (<see cref="Hs256Tokens"/>: the rules <see cref="ReferenceValidation"/> describes), or false.</summary>
    public bool TryValidate(string token, out TokenClaims claims) => _tokens.TryValidate(token, out claims);

    /// <summary>
    /// The same rules as IdentityModel's parameters, for a test to hold <see cref="TryValidate"/> against
    /// <c>JsonWebTokenHandler</c> (which validated every purchase's token before, at several times the cost).
    /// </summary>
    public TokenValidationParameters ReferenceValidation => _validation;
}
