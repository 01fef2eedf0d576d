using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Gateway;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests;

/// <summary>Challenges and purchase tokens over HTTP, with the built-in arithmetic captcha.</summary>
public sealed class CaptchaTests : ApiTest
{
    [Fact]
    public async Task A_challenge_takes_one_answer_a_wrong_one_spends_it_and_the_right_one_after_it_is_refused()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, gatewayRules: new { requireToken = true });
        var user = await Client.TokenAsync("guesser");
        var (challengeId, question) = await Captcha.ChallengeAsync(Client, saleId, user);
        var right = Captcha.Solve(question);

        var wrong = await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId, answer = right + "1" }, user);
        var late = await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId, answer = right }, user);

        (wrong.Status, wrong.Body!["code"]!.GetValue<string>()).Should().Be((403, "wrong_answer"));
        (late.Status, late.Body!["code"]!.GetValue<string>()).Should().Be((409, "challenge_used"), "one answer per challenge, right or wrong");
        late.Body["token"].Should().BeNull();
        (await Client.PurchaseAsync(saleId, user, 1, "r-1")).Code.Should().Be("invalid_token", "no token came out of it");
        var token = await Captcha.PurchaseTokenAsync(Client, saleId, user);
        (await Client.PurchaseAsync(saleId, user, 1, "r-1", token)).Status.Should().Be(202, "a new challenge answered right buys");
    }

    [Fact]
    public async Task Answers_up_to_4096_characters_are_checked_and_longer_ones_refused()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var user = await Client.TokenAsync("long-winded");

        var (longest, _) = await Captcha.ChallengeAsync(Client, saleId, user);
        var checkedAnswer = await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId = longest, answer = new string('7', 4_096) }, user);
        var (tooLong, _) = await Captcha.ChallengeAsync(Client, saleId, user);
        var refused = await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId = tooLong, answer = new string('7', 4_097) }, user);

        (checkedAnswer.Status, checkedAnswer.Body!["code"]!.GetValue<string>()).Should().Be((403, "wrong_answer"), "checked, and wrong");
        (refused.Status, refused.Body!["code"]!.GetValue<string>()).Should().Be((400, "invalid_request"));
        (await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId = tooLong, answer = "1" }, user)).Body!["code"]!.GetValue<string>()
            .Should().Be("wrong_answer", "a refused body spends nothing");
    }

    [Fact]
    public async Task The_16_KiB_body_limit_holds_for_a_body_sent_without_a_length()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var user = await Client.TokenAsync("chunked");
        var (challengeId, _) = await Captcha.ChallengeAsync(Client, saleId, user);
        var body = Encoding.UTF8.GetBytes($"{{\"challengeId\":\"{challengeId}\",\"answer\":\"1\",\"padding\":\"{new string('p', 200_000)}\"}}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/sales/{saleId}/token")
        {
            Content = new ChunkedContent(body), // no Content-Length for the server to check up front
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user);
        request.Headers.TransferEncodingChunked = true;

        using var response = await Client.Http.SendAsync(request);

        ((int)response.StatusCode, await response.Content.ReadAsStringAsync()).Should().Match<(int Status, string Body)>(
            r => r.Status == 413 && r.Body.Contains("\"code\":\"body_too_large\"") && r.Body.Contains("16384 bytes"));
    }

    [Fact]
    public async Task A_purchase_the_risk_score_challenges_is_marked_so_and_passes_with_a_token_and_the_same_requestId()
    {
        // A sale without requireToken whose risk bar every purchase reaches: the risk score asks for a captcha.
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, gatewayRules: new { riskChallengeScore = 0 });
        var user = await Client.TokenAsync("challenged");

        var (status, refusal) = await Client.PostAsync($"api/sales/{saleId}/purchase", new { quantity = 1, requestId = "r-1" }, user);

        (status, refusal!["code"]!.GetValue<string>()).Should().Be((403, "invalid_token"));
        refusal["challenge"]!.GetValue<bool>().Should().BeTrue("the refusal tells the client a challenge lifts it");
        var token = await Captcha.PurchaseTokenAsync(Client, saleId, user);
        (await Client.PurchaseAsync(saleId, user, 1, "r-1", token)).Status.Should().Be(202);
        var (_, other) = await Client.PostAsync($"api/sales/{saleId}/purchase", new { quantity = 1, requestId = "not an id" }, user);
        other!["code"]!.GetValue<string>().Should().Be("invalid_request");
        other["challenge"].Should().BeNull("only a missing or spent token is answered by a challenge");
    }
}

/// <summary>A provider that verifies responses itself, plugged in through configuration and <see cref="CaptchaProviders.AddCaptchaProvider"/>.</summary>
public sealed class CaptchaProviderTests() : ApiTest(
    new Dictionary<string, string> { ["FlashSale:Gateway:Captcha:Provider"] = "recording" },
    services => services.AddSingleton<RecordingCaptcha>().AddCaptchaProvider("recording", sp => sp.GetRequiredService<RecordingCaptcha>()))
{
    [Fact]
    public async Task A_2000_character_response_reaches_the_provider_with_the_challenge_the_sale_the_user_and_the_ip()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, gatewayRules: new { requireToken = true });
        var user = await Client.TokenAsync("widget-user");
        var response = "0." + new string('r', 1_998); // a provider's response token runs to about 2,000 characters

        var challenge = await SendAsync($"api/sales/{saleId}/challenge", new { }, user, "203.0.113.21");
        var token = await SendAsync($"api/sales/{saleId}/token", new { challengeId = challenge["challengeId"]!.GetValue<string>(), answer = response }, user, "203.0.113.22");

        var captcha = App.Services.GetRequiredService<RecordingCaptcha>();
        challenge["question"]!.GetValue<string>().Should().Be("widget");
        var created = captcha.Created.Should().ContainSingle().Subject;
        (created.SaleId.ToString(), created.Caller.UserId, created.Caller.Ip.Address?.ToString()).Should().Be((saleId, "widget-user", "203.0.113.21"));
        var (context, answer) = captcha.Verified.Should().ContainSingle().Subject;
        answer.Should().Be(response);
        context.Challenge.Should().Be(created.Challenge).And.NotBeNullOrEmpty();
        (context.SaleId.ToString(), context.Caller.UserId, context.Caller.Ip.Address?.ToString()).Should().Be((saleId, "widget-user", "203.0.113.22"), "the caller who answers");
        (await Client.PurchaseAsync(saleId, user, 1, "r-1", token["token"]!.GetValue<string>())).Status.Should().Be(202);
    }

    /// <summary>POST as the user from <paramref name="clientIp"/> (X-Forwarded-For, trusted from the test server's loopback); expects 200.</summary>
    private async Task<JsonObject> SendAsync(string path, object body, string user, string clientIp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user);
        request.Headers.Add("X-Forwarded-For", clientIp);
        using var answer = await Client.Http.SendAsync(request);
        var text = await answer.Content.ReadAsStringAsync();
        ((int)answer.StatusCode).Should().Be(200, text);
        return JsonNode.Parse(text)!.AsObject();
    }
}

/// <summary>A provider whose service is down: challenges and answers are 503 captcha_unavailable, nothing is sold, and the server keeps serving.</summary>
public sealed class CaptchaOutageTests() : ApiTest(
    new Dictionary<string, string> { ["FlashSale:Gateway:Captcha:Provider"] = "down", ["FlashSale:Gateway:Captcha:Timeout"] = "00:00:00.500" },
    services => services.AddSingleton<DownCaptcha>().AddCaptchaProvider("down", sp => sp.GetRequiredService<DownCaptcha>()))
{
    [Fact]
    public async Task A_provider_outage_is_503_captcha_unavailable_and_sells_nothing()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, gatewayRules: new { requireToken = true });
        var user = await Client.TokenAsync("outage-user");
        var captcha = App.Services.GetRequiredService<DownCaptcha>();

        captcha.FailCreate = true;
        var (status, refusal) = await Client.PostAsync($"api/sales/{saleId}/challenge", new { }, user);
        (status, refusal!["code"]!.GetValue<string>()).Should().Be((503, "captcha_unavailable"));

        captcha.FailCreate = false;
        var (_, challenge) = await Client.PostAsync($"api/sales/{saleId}/challenge", new { }, user);
        (status, refusal) = await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId = challenge!["challengeId"]!.GetValue<string>(), answer = "tok" }, user);
        (status, refusal!["code"]!.GetValue<string>()).Should().Be((503, "captcha_unavailable"), "the verify call failed");

        captcha.Hang = true; // a provider that does not answer: its deadline (0.5 s here) ends the wait
        (_, challenge) = await Client.PostAsync($"api/sales/{saleId}/challenge", new { }, user);
        (status, refusal) = await Client.PostAsync($"api/sales/{saleId}/token", new { challengeId = challenge!["challengeId"]!.GetValue<string>(), answer = "tok" }, user);
        (status, refusal!["code"]!.GetValue<string>()).Should().Be((503, "captcha_unavailable"), "the verify call timed out");

        (await Client.PurchaseAsync(saleId, user, 1, "r-1")).Status.Should().Be(403, "no token, no purchase");
        (await Client.StatsAsync(saleId))["accepted"]!.GetValue<long>().Should().Be(0);
    }
}

/// <summary>A provider whose remote service is down: it throws, as an HTTP client does, or never answers.</summary>
public sealed class DownCaptcha : ICaptcha
{
    public bool FailCreate { get; set; }
    public bool Hang { get; set; }

    public ValueTask<CaptchaQuestion> CreateAsync(CaptchaContext context, CancellationToken cancellationToken) =>
        FailCreate ? throw new HttpRequestException("connection refused") : ValueTask.FromResult(new CaptchaQuestion("widget", null));

    public async ValueTask<bool> VerifyAsync(CaptchaContext context, string answer, CancellationToken cancellationToken)
    {
        if (!Hang) throw new HttpRequestException("connection refused");
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return true;
    }
}

/// <summary>Records what the server tells a provider; every response is right.</summary>
public sealed class RecordingCaptcha : ICaptcha
{
    public List<CaptchaContext> Created { get; } = [];
    public List<(CaptchaContext Context, string Answer)> Verified { get; } = [];

    public ValueTask<CaptchaQuestion> CreateAsync(CaptchaContext context, CancellationToken cancellationToken)
    {
        lock (Created) Created.Add(context);
        return ValueTask.FromResult(new CaptchaQuestion("widget", null));
    }

    public ValueTask<bool> VerifyAsync(CaptchaContext context, string answer, CancellationToken cancellationToken)
    {
        lock (Verified) Verified.Add((context, answer));
        return ValueTask.FromResult(true);
    }
}
