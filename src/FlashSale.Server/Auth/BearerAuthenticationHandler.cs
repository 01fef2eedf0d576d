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

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("not a bearer token");
        var identity = await tokens.ValidateAsync(header[7..].Trim()).ConfigureAwait(false);
        if (identity is null) return AuthenticateResult.Fail("invalid token");
        var principal = new ClaimsPrincipal(new ClaimsIdentity(identity.Claims, SchemeName, identity.NameClaimType, identity.RoleClaimType));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
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
