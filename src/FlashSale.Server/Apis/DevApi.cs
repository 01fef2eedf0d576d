using FlashSale.Core.Purchasing;
using FlashSale.Server.Auth;
using FlashSale.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Server.Apis;

/// <summary>POST /api/dev/token: a user token for any user id. Mapped only where dev tokens are enabled.</summary>
public static class DevApi
{
    public static IEndpointRouteBuilder MapDevApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/dev/token", IssueAsync);
        return app;
    }

    private static async Task<Results<Ok<DevTokenResponse>, ProblemResult>> IssueAsync(HttpContext context, UserTokens tokens)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, AppJsonContext.Default.DevTokenRequest);
        if (problem is not null) return problem;
        if (!UserTokens.IsValidUserId(body!.UserId))
            return Problems.InvalidRequest(Identifiers.UserIdRule);
        var (token, expiresAt) = tokens.Issue(body.UserId!);
        return TypedResults.Ok(new DevTokenResponse(token, expiresAt));
    }
}
