using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;

namespace FlashSale.Server.Auth;

/// <summary>
/// Bearer authentication with <see cref="UserTokens"/> (the JwtBearer package is not available here).
/// Challenges answer 401 problem+json.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    UserTokens tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.Fail("not a bearer token"));
        if (!tokens.TryValidate(header[7..].Trim(), out var claims)) return Task.FromResult(AuthenticateResult.Fail("invalid token"));
        var identity = new ClaimsIdentity(SchemeName, UserTokens.SubjectClaim, ClaimsIdentity.DefaultRoleClaimType);
        identity.AddClaim(new Claim(UserTokens.SubjectClaim, claims.UserId));
        if (claims.AccountCreated is { } created) identity.AddClaim(new Claim(CallerExtensions.AccountCreatedClaim, created));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.Unauthorized.ExecuteAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Forbidden.ExecuteAsync(Context);
}

public static class UserExtensions
{
    public static string UserId(this ClaimsPrincipal user) => user.Identity?.Name ?? throw new InvalidOperationException("unauthenticated");
}
