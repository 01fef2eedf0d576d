using System.Text.RegularExpressions;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>Solves the built-in arithmetic captcha, as an honest (and numerate) user would.</summary>
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
        var (status, challenge) = await client.PostAsync($"api/sales/{saleId}/challenge", new { }, userToken);
        status.Should().Be(200);
        var (tokenStatus, token) = await client.PostAsync($"api/sales/{saleId}/token",
            new { challengeId = challenge!["challengeId"]!.GetValue<string>(), answer = Solve(challenge["question"]!.GetValue<string>()) }, userToken);
        tokenStatus.Should().Be(200);
        return token!["token"]!.GetValue<string>();
    }

    [GeneratedRegex(@"What is (\d+) ([+×]) (\d+)\?")]
    private static partial Regex Question();
}
