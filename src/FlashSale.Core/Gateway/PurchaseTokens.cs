using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Gateway;

/// <summary>
/// Challenges and purchase tokens (a "dynamic token": the purchase path is useless without one): HMAC-SHA256-signed,
/// bound to one user and one sale, short-lived, and single-use through <see cref="IOnceStore"/>.
/// Stateless to issue and check, so any API process verifies what another issued.
/// Format: base64url(payload) "." base64url(HMAC(secret, payload)); payload fields are separated by
/// newlines (user ids cannot contain control characters).
/// </summary>
public sealed class PurchaseTokens(byte[] secret, ICaptcha captcha, IOnceStore once, TimeProvider time, TimeSpan? providerTimeout = null)
{
    private readonly TimeSpan _providerTimeout = providerTimeout ?? CaptchaOptions.DefaultTimeout;
    private const string ChallengeKind = "fs-challenge-1";
    private const string TokenKind = "fs-token-1";

    /// <summary>The longest answer taken: a provider's response token (reCAPTCHA, hCaptcha, Turnstile) runs to about 2,000 characters.</summary>
    public const int MaxAnswerLength = 4_096;

    /// <summary>A challenge for this sale and caller: the provider's question, and the challenge id that carries it.</summary>
    public async ValueTask<(string ChallengeId, string Question, DateTimeOffset ExpiresAt)> IssueChallengeAsync(
        long saleId, PurchaseCaller caller, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var nonce = Nonce();
        var context = new CaptchaContext(nonce, saleId, caller);
        var question = await CallProviderAsync(token => captcha.CreateAsync(context, token), cancellationToken).ConfigureAwait(false);
        var expires = time.GetUtcNow() + lifetime;
        var sealedAnswer = question.ExpectedAnswer is null ? "" : Mac("answer\n" + nonce + "\n" + Normalize(question.ExpectedAnswer));
        return (Seal(ChallengeKind, saleId, caller.UserId, expires, nonce, sealedAnswer), question.Question, expires);
    }

    public enum Verdict { Valid, Invalid, Expired, WrongSaleOrUser, WrongAnswer, AlreadyUsed }

    /// <summary>
    /// Checks a challenge and its answer. A challenge is answered once: it is spent before the answer is looked at,
    /// right or wrong, so a second attempt (<see cref="Verdict.AlreadyUsed"/>) learns nothing and a script cannot
    /// guess its way through one challenge. A right answer buys one token.
    /// </summary>
    public async Task<(Verdict Verdict, string? Token, DateTimeOffset ExpiresAt)> RedeemAsync(
        string challengeId, string answer, long saleId, PurchaseCaller caller, TimeSpan tokenLifetime, CancellationToken cancellationToken)
    {
        var verdict = Open(challengeId, ChallengeKind, saleId, caller.UserId, out var fields);
        if (verdict != Verdict.Valid) return (verdict, null, default);
        var (nonce, sealedAnswer) = (fields[4], fields[5]);
        // Each attempt is its own owner: the first one spends the challenge, even a second one by the same user.
        // The key lives as long as any challenge can (ChallengeLifetime is at most 30 minutes).
        if (!await once.TryUseAsync("challenge:" + nonce, Nonce(), TimeSpan.FromMinutes(30), cancellationToken).ConfigureAwait(false))
        {
            return (Verdict.AlreadyUsed, null, default);
        }
        var correct = sealedAnswer.Length > 0
            ? CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sealedAnswer), Encoding.ASCII.GetBytes(Mac("answer\n" + nonce + "\n" + Normalize(answer))))
            : await CallProviderAsync(token => captcha.VerifyAsync(new CaptchaContext(nonce, saleId, caller), answer, token), cancellationToken).ConfigureAwait(false);
        if (!correct) return (Verdict.WrongAnswer, null, default);
        var expires = time.GetUtcNow() + tokenLifetime;
        return (Verdict.Valid, Seal(TokenKind, saleId, caller.UserId, expires, Nonce(), ""), expires);
    }

    /// <summary>
    /// A call to the provider, within its deadline: a provider that fails or does not answer in time (its service down
    /// or hung) is <see cref="CaptchaUnavailableException"/>; only the caller's own cancellation passes through.
    /// </summary>
    private async ValueTask<T> CallProviderAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_providerTimeout);
        try
        {
            return await call(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CaptchaUnavailableException(ex);
        }
    }

    /// <summary>Checks a purchase token; it is spent by the first requestId that uses it (a retry of that requestId may use it again).</summary>
    public async ValueTask<Verdict> SpendAsync(string? token, long saleId, string userId, string requestId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token)) return Verdict.Invalid;
        var verdict = Open(token, TokenKind, saleId, userId, out var fields);
        if (verdict != Verdict.Valid) return verdict;
        return await once.TryUseAsync("token:" + fields[4], requestId, TimeSpan.FromMinutes(30), cancellationToken).ConfigureAwait(false)
            ? Verdict.Valid
            : Verdict.AlreadyUsed;
    }

    private string Seal(string kind, long saleId, string userId, DateTimeOffset expires, string nonce, string extra)
    {
        var payload = string.Join('\n', kind, saleId.ToString(CultureInfo.InvariantCulture), userId,
            expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), nonce, extra);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + "." + Mac(payload);
    }

    private Verdict Open(string sealedValue, string kind, long saleId, string userId, out string[] fields)
    {
        fields = [];
        var dot = sealedValue.LastIndexOf('.');
        if (dot <= 0 || sealedValue.Length > 2_048) return Verdict.Invalid;
        string payload;
        try
        {
            payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(sealedValue.AsSpan(0, dot)));
        }
        catch (FormatException)
        {
            return Verdict.Invalid;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sealedValue[(dot + 1)..]), Encoding.ASCII.GetBytes(Mac(payload))))
        {
            return Verdict.Invalid;
        }
        fields = payload.Split('\n');
        if (fields.Length != 6 || fields[0] != kind) return Verdict.Invalid;
        if (fields[1] != saleId.ToString(CultureInfo.InvariantCulture) || fields[2] != userId) return Verdict.WrongSaleOrUser;
        if (!long.TryParse(fields[3], CultureInfo.InvariantCulture, out var expiresMs) || expiresMs <= time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return Verdict.Expired;
        }
        return Verdict.Valid;
    }

    private string Mac(string payload) => Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(payload)));

    private static string Nonce() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    private static string Normalize(string answer) => answer.Trim().ToLowerInvariant();
}
