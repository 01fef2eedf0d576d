using System.Text.RegularExpressions;

namespace FlashSale.Testing;

/// <summary>Solves the built-in arithmetic captcha, as an honest (and numerate) user would (the API tests, the server tests).</summary>
public static partial class Captcha
{
    public static string Solve(string question)
    {
        var m = Question().Match(question);
        m.Success.Should().BeTrue($"'{question}' is an arithmetic question");
        var (a, b) = (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[3].Value));
        return (m.Groups[2].Value == "+" ? a + b : a * b).ToString();
    }

    /// <summary>challenge -> answer -> token, the way the sale page does it.</summary>
    public static async Task<string> PurchaseTokenAsync(FlashSaleClient client, string saleId, string userToken)
    {
        var (challengeId, question) = await ChallengeAsync(client, saleId, userToken);
        var (tokenStatus, token) = await client.PostAsync($"api/sales/{saleId}/token", new { challengeId, answer = Solve(question) }, userToken);
        tokenStatus.Should().Be(200);
        return token!["token"]!.GetValue<string>();
    }

    /// <summary>POST /api/sales/{saleId}/challenge as the user: the challenge id and the question.</summary>
    public static async Task<(string ChallengeId, string Question)> ChallengeAsync(FlashSaleClient client, string saleId, string userToken)
    {
        var (status, challenge) = await client.PostAsync($"api/sales/{saleId}/challenge", new { }, userToken);
        status.Should().Be(200);
        return (challenge!["challengeId"]!.GetValue<string>(), challenge["question"]!.GetValue<string>());
    }

    [GeneratedRegex(@"What is (\d+) ([+×]) (\d+)\?")]
    private static partial Regex Question();
}
