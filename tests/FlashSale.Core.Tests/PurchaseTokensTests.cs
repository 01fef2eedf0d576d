using FlashSale.Core.Gateway;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Tests;

public sealed class PurchaseTokensTests
{
    private static readonly PurchaseCaller Alice = new("alice", "203.0.113.7", "phone-1", null);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private static PurchaseTokens NewTokens(ICaptcha captcha) =>
        new(new byte[32], captcha, new InMemoryOnceStore(TimeProvider.System), TimeProvider.System);

    [Fact]
    public async Task A_challenge_takes_one_answer_so_a_wrong_one_spends_it_and_the_right_one_after_it_is_refused()
    {
        var tokens = NewTokens(new KnownAnswerCaptcha("42"));
        var (challengeId, _, _) = await tokens.IssueChallengeAsync(7, Alice, Lifetime, default);

        (await tokens.RedeemAsync(challengeId, "41", 7, Alice, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.WrongAnswer);
        var second = await tokens.RedeemAsync(challengeId, "42", 7, Alice, Lifetime, default);

        second.Verdict.Should().Be(PurchaseTokens.Verdict.AlreadyUsed, "one attempt per challenge: guessing on one challenge gets nowhere");
        second.Token.Should().BeNull();
        var (fresh, _, _) = await tokens.IssueChallengeAsync(7, Alice, Lifetime, default);
        (await tokens.RedeemAsync(fresh, "42", 7, Alice, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.Valid, "a new challenge takes the right answer");
        (await tokens.RedeemAsync(fresh, "42", 7, Alice, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.AlreadyUsed, "and buys one token");
    }

    [Fact]
    public async Task A_challenge_for_another_sale_or_user_spends_nothing()
    {
        var tokens = NewTokens(new KnownAnswerCaptcha("42"));
        var (challengeId, _, _) = await tokens.IssueChallengeAsync(7, Alice, Lifetime, default);

        (await tokens.RedeemAsync(challengeId, "42", 8, Alice, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.WrongSaleOrUser);
        (await tokens.RedeemAsync(challengeId, "42", 7, Alice with { UserId = "mallory" }, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.WrongSaleOrUser);
        (await tokens.RedeemAsync(challengeId, "42", 7, Alice, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.Valid, "its owner may still answer it");
    }

    [Fact]
    public async Task A_provider_that_verifies_sees_the_challenge_the_sale_and_the_caller_and_is_asked_once_per_challenge()
    {
        var captcha = new VerifyingCaptcha();
        var tokens = NewTokens(captcha);
        var (challengeId, question, _) = await tokens.IssueChallengeAsync(7, Alice, Lifetime, default);
        var response = new string('x', 2_000);
        var answering = Alice with { Ip = "198.51.100.9" };

        var (verdict, token, _) = await tokens.RedeemAsync(challengeId, response, 7, answering, Lifetime, default);

        verdict.Should().Be(PurchaseTokens.Verdict.Valid);
        (await tokens.SpendAsync(token, 7, "alice", "r-1", default)).Should().Be(PurchaseTokens.Verdict.Valid);
        question.Should().Be("solve the widget");
        var created = captcha.Created.Should().ContainSingle().Subject;
        created.SaleId.Should().Be(7);
        created.Caller.Should().Be(Alice);
        var verified = captcha.Verified.Should().ContainSingle().Subject;
        verified.Context.Should().Be(new CaptchaContext(created.Challenge, 7, answering), "the same challenge, and the caller who answers");
        verified.Answer.Should().Be(response);
        (await tokens.RedeemAsync(challengeId, response, 7, answering, Lifetime, default)).Verdict.Should().Be(PurchaseTokens.Verdict.AlreadyUsed);
        captcha.Verified.Should().ContainSingle("a spent challenge is refused before the provider is asked");
    }

    private sealed class KnownAnswerCaptcha(string answer) : ICaptcha
    {
        public ValueTask<CaptchaQuestion> CreateAsync(CaptchaContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CaptchaQuestion("What is six times seven?", answer));

        public ValueTask<bool> VerifyAsync(CaptchaContext context, string answer, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("questions with an answer are checked by FlashSale");
    }

    private sealed class VerifyingCaptcha : ICaptcha
    {
        public List<CaptchaContext> Created { get; } = [];
        public List<(CaptchaContext Context, string Answer)> Verified { get; } = [];

        public ValueTask<CaptchaQuestion> CreateAsync(CaptchaContext context, CancellationToken cancellationToken)
        {
            Created.Add(context);
            return ValueTask.FromResult(new CaptchaQuestion("solve the widget", null));
        }

        public ValueTask<bool> VerifyAsync(CaptchaContext context, string answer, CancellationToken cancellationToken)
        {
            Verified.Add((context, answer));
            return ValueTask.FromResult(true);
        }
    }
}
