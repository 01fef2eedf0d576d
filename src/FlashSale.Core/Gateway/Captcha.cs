using System.Security.Cryptography;

namespace FlashSale.Core.Gateway;

/// <summary>
/// A captcha provider. Built in: <see cref="ArithmeticCaptcha"/>. A real deployment plugs in its provider:
/// either one whose expected answer is known when the question is made (return it in
/// <see cref="CaptchaQuestion.ExpectedAnswer"/>; FlashSale seals it into the challenge), or one that
/// verifies the user's response itself (return null and implement <see cref="VerifyAsync"/>).
/// </summary>
public interface ICaptcha
{
    CaptchaQuestion Create();

    /// <summary>Only asked for questions created without an expected answer.</summary>
    ValueTask<bool> VerifyAsync(string answer, CancellationToken cancellationToken);
}

public sealed record CaptchaQuestion(string Question, string? ExpectedAnswer);

/// <summary>"What is 7 + 12?": enough to turn a 0 ms script into a human-paced click.</summary>
public sealed class ArithmeticCaptcha : ICaptcha
{
    public CaptchaQuestion Create()
    {
        var a = RandomNumberGenerator.GetInt32(2, 20);
        var b = RandomNumberGenerator.GetInt32(2, 20);
        return RandomNumberGenerator.GetInt32(2) == 0
            ? new CaptchaQuestion($"What is {a} + {b}?", (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture))
            : new CaptchaQuestion($"What is {a} × {b}?", (a * b).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public ValueTask<bool> VerifyAsync(string answer, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}
