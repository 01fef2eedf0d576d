using System.ComponentModel.DataAnnotations;
using FlashSale.Core.Gateway;

namespace FlashSale.Server.Apis;

/// <summary>
/// Captcha challenges and purchase tokens (the captcha is handed out a few seconds before the start), behind the gateway's
/// blacklist and challenge windows (<see cref="PurchaseGateway.CheckChallengeAsync"/>). A challenge takes one
/// answer: a wrong one spends it too (403 wrong_answer), and any later answer to it is 409 challenge_used.
/// </summary>
public static class GatewayApi
{
    /// <summary>A challenge's refusals: the gateway's (blacklist, challenge windows), the sale's window, a captcha provider that is down.</summary>
    internal static readonly ProblemResult[] ChallengeProblems =
        [Problems.Blacklisted, Problems.Throttled, Problems.SaleNotFound, Problems.NotStarted, Problems.Ended, ErrorHandling.CaptchaUnavailable, Problems.Unavailable];

    /// <summary>A token's refusals besides its body's: a challenge's, and a wrong or spent answer.</summary>
    internal static readonly ProblemResult[] TokenProblems = [.. ChallengeProblems, Problems.WrongAnswer, Problems.ChallengeUsed];

    internal static async Task<Results<Ok<ChallengeResponse>, ProblemResult>> ChallengeAsync(
        string saleId, HttpContext context, PurchaseGateway gateway, SaleCatalog catalog, PurchaseTokens tokens, IOptions<GatewayOptions> options, TimeProvider time)
    {
        if (await gateway.CheckChallengeAsync(context.Caller(), context.RequestAborted) is { } refusal) return Problems.ForRefusal(refusal);
        var (sale, problem) = await OpenSaleAsync(saleId, catalog, options.Value, time, context.RequestAborted);
        if (problem is not null) return problem;
        var (challengeId, question, expiresAt) = await tokens.IssueChallengeAsync(sale!.Id, context.Caller(), options.Value.ChallengeLifetime, context.RequestAborted);
        return TypedResults.Ok(new ChallengeResponse(challengeId, question, expiresAt));
    }

    internal static async Task<Results<Ok<TokenResponse>, ProblemResult>> TokenAsync(
        string saleId, HttpContext context, PurchaseGateway gateway, SaleCatalog catalog, PurchaseTokens tokens, IOptions<GatewayOptions> options, TimeProvider time)
    {
        if (await gateway.CheckChallengeAsync(context.Caller(), context.RequestAborted) is { } refusal) return Problems.ForRefusal(refusal);
        var (sale, problem) = await OpenSaleAsync(saleId, catalog, options.Value, time, context.RequestAborted);
        if (problem is not null) return problem;
        var (body, invalid) = await JsonBody.ReadAsync(context.Request, GatewayJson.Default.TokenRequest);
        if (invalid is not null) return invalid;
        if (string.IsNullOrEmpty(body!.ChallengeId) || body.Answer is null) return Problems.InvalidRequest("challengeId and answer are required.");
        if (body.Answer.Length > PurchaseTokens.MaxAnswerLength) return AnswerTooLong;
        var (verdict, token, expiresAt) = await tokens.RedeemAsync(body.ChallengeId, body.Answer, sale!.Id, context.Caller(),
            options.Value.TokenLifetime, context.RequestAborted);
        return verdict switch
        {
            PurchaseTokens.Verdict.Valid => TypedResults.Ok(new TokenResponse(token!, expiresAt)),
            PurchaseTokens.Verdict.AlreadyUsed => Problems.ChallengeUsed,
            _ => Problems.WrongAnswer,
        };
    }

    private static readonly ProblemResult AnswerTooLong = Problems.InvalidRequest($"answer must be at most {PurchaseTokens.MaxAnswerLength} characters.");

    /// <summary>Challenges are handed out from the lead time before the start until the end.</summary>
    private static async Task<(Sale? Sale, ProblemResult? Problem)> OpenSaleAsync(
        string saleId, SaleCatalog catalog, GatewayOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!long.TryParse(saleId, out var id)) return (null, Problems.SaleNotFound);
        var sale = await catalog.FindAsync(id, cancellationToken);
        if (sale is null) return (null, Problems.SaleNotFound);
        var now = time.GetUtcNow();
        if (now + options.ChallengeLeadTime < sale.StartsAt) return (null, Problems.NotStarted);
        if (now >= sale.EndsAt) return (null, Problems.Ended);
        return (sale, null);
    }
}

public sealed record ChallengeResponse(string ChallengeId, string Question, DateTimeOffset ExpiresAt);

public sealed record TokenRequest([property: Required] string? ChallengeId, [property: Required] string? Answer);

public sealed record TokenResponse(string Token, DateTimeOffset ExpiresAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChallengeResponse))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
public sealed partial class GatewayJson : JsonSerializerContext;
