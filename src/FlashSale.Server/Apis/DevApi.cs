using System.ComponentModel.DataAnnotations;

namespace FlashSale.Server.Apis;

/// <summary>POST /api/dev/token: a user token for any user id. Mapped only where dev tokens are enabled.</summary>
public static class DevApi
{
    internal static async Task<Results<Ok<DevTokenResponse>, ProblemResult>> IssueAsync(HttpContext context, UserTokens tokens)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, DevJson.Default.DevTokenRequest);
        if (problem is not null) return problem;
        if (!UserTokens.IsValidUserId(body!.UserId))
            return Problems.InvalidRequest(Identifiers.UserIdRule);
        var (token, expiresAt) = tokens.Issue(body.UserId!);
        return TypedResults.Ok(new DevTokenResponse(token, expiresAt));
    }
}

public sealed record DevTokenRequest([property: Required] string? UserId);

public sealed record DevTokenResponse(string Token, DateTimeOffset ExpiresAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DevTokenRequest))]
[JsonSerializable(typeof(DevTokenResponse))]
public sealed partial class DevJson : JsonSerializerContext;
