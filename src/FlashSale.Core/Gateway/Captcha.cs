using System.Globalization;
using System.Security.Cryptography;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Gateway;

/// <summary>
/// A captcha provider, chosen by <c>FlashSale:Gateway:Captcha:Provider</c> among those registered with
/// <see cref="CaptchaProviders.AddCaptchaProvider"/>. Built in: <see cref="ArithmeticCaptcha"/>. Two kinds fit:
/// one whose expected answer is known when the question is made (return it in <see cref="CaptchaQuestion.ExpectedAnswer"/>;
/// FlashSale seals it into the challenge and compares), or one that verifies the user's response itself, such as
/// reCAPTCHA, hCaptcha or Turnstile (return no expected answer and implement <see cref="VerifyAsync"/>: send the
/// response, the caller's IP and the provider's secret to its verify endpoint, and check its hostname and action).
/// FlashSale spends the challenge before asking: <see cref="VerifyAsync"/> is called at most once per challenge.
/// </summary>
public interface ICaptcha
{
    /// <summary>The question for one challenge (its nonce, the sale, the caller asking).</summary>
    ValueTask<CaptchaQuestion> CreateAsync(CaptchaContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="answer"/> (up to 4,096 characters, as the client sent it) solves the challenge; the
    /// context holds the same challenge nonce and sale as at <see cref="CreateAsync"/>, and the caller answering
    /// (same user, IP of this request). Only asked for questions created without an expected answer. An exception
    /// fails the request (5xx) and leaves the challenge spent: the client asks for a new one.
    /// </summary>
    ValueTask<bool> VerifyAsync(CaptchaContext context, string answer, CancellationToken cancellationToken);
}

/// <summary>What a provider knows of a challenge.</summary>
/// <param name="Challenge">The challenge's random nonce: unique per challenge, the same when it is made and when it is answered.</param>
/// <param name="SaleId">The sale the challenge (and its purchase token) is for.</param>
/// <param name="Caller">Who asks or answers: user, client IP (after trusted proxies; <see cref="ClientIp.Address"/> is the address a
/// provider's verify call wants, <see cref="ClientIp.Key"/> the client as the limits count it), device id.</param>
public sealed record CaptchaContext(string Challenge, long SaleId, PurchaseCaller Caller);

/// <param name="Question">Shown to the user as it is (the sale page shows text).</param>
/// <param name="ExpectedAnswer">Known now: FlashSale keeps it sealed in the challenge. Null: the provider verifies.</param>
public sealed record CaptchaQuestion(string Question, string? ExpectedAnswer);

/// <summary>"What is 7 + 12?": enough to turn a 0 ms script into a human-paced click. Not a defence against a program that reads the question.</summary>
public sealed class ArithmeticCaptcha : ICaptcha
{
    public const string ProviderName = "arithmetic";

    public ValueTask<CaptchaQuestion> CreateAsync(CaptchaContext context, CancellationToken cancellationToken)
    {
        var a = RandomNumberGenerator.GetInt32(2, 20);
        var b = RandomNumberGenerator.GetInt32(2, 20);
        return ValueTask.FromResult(RandomNumberGenerator.GetInt32(2) == 0
            ? new CaptchaQuestion($"What is {a} + {b}?", (a + b).ToString(CultureInfo.InvariantCulture))
            : new CaptchaQuestion($"What is {a} × {b}?", (a * b).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Never asked: every question carries its answer.</summary>
    public ValueTask<bool> VerifyAsync(CaptchaContext context, string answer, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}

/// <summary>
/// The captcha provider failed (its service down or answering garbage): the caller gets 503 and asks for a new
/// challenge, since the one it answered is spent. Nothing is sold without a verdict.
/// </summary>
public sealed class CaptchaUnavailableException(Exception inner) : Exception($"The captcha provider failed: {inner.Message}", inner);
