using System.Text.RegularExpressions;
using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>
/// The pages carry a content security policy that allows this server only (and no inline code, so the pages must hold
/// none) and send no referrer; every answer, JSON and problem+json included, is nosniff.
/// </summary>
public sealed partial class SecurityHeaderTests : ApiTest
{
    private const string PagePolicy = "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

    [Theory]
    [InlineData("sales/117860321883848704")]
    [InlineData("admin")]
    public async Task A_page_has_its_policy_no_referrer_nosniff_and_no_inline_code_the_policy_would_block(string path)
    {
        using var response = await Client.Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).Should().Be(200);
        Header(response, "Content-Security-Policy").Should().Be(PagePolicy);
        Header(response, "Referrer-Policy").Should().Be("no-referrer");
        Header(response, "X-Content-Type-Options").Should().Be("nosniff");

        InlineScript().Matches(html).Should().BeEmpty("a script without src is inline: the policy blocks it");
        html.Should().NotContain("<style", "inline styles are blocked: they belong in app.css");
        InlineStyleOrHandler().Matches(html).Select(m => m.Value).Should().BeEmpty("style= and on…= attributes are blocked");
        foreach (var asset in AssetReference().Matches(html).Select(m => m.Groups[1].Value))
        {
            using var served = await Client.Http.GetAsync(asset.TrimStart('/'));
            ((int)served.StatusCode).Should().Be(200, asset);
            Header(served, "X-Content-Type-Options").Should().Be("nosniff", asset);
            var text = await served.Content.ReadAsStringAsync();
            InlineStyleOrHandler().Matches(text).Select(m => m.Value).Should().BeEmpty($"{asset} writes no blocked attribute into the page");
            text.Should().NotContain("eval(").And.NotContain("new Function", $"{asset} needs no 'unsafe-eval'");
        }
    }

    [Fact]
    public async Task Every_api_answer_json_or_problem_json_is_nosniff()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1);
        var token = await Client.TokenAsync("alice");
        var calls = new (HttpMethod Method, string Path, string? Token, int Status)[]
        {
            (HttpMethod.Get, "api/time", null, 200),
            (HttpMethod.Get, $"api/sales/{saleId}", null, 200),
            (HttpMethod.Get, "api/sales/123456789", null, 404),
            (HttpMethod.Get, "api/orders/1", null, 401),
            (HttpMethod.Get, "api/orders/1", token, 404),
            (HttpMethod.Get, $"api/sales/{saleId}/orders/mine", token, 200),
            (HttpMethod.Get, "api/admin/sales/1/stats", null, 401),
            (HttpMethod.Get, "health/live", null, 200),
        };
        foreach (var call in calls)
        {
            using var request = new HttpRequestMessage(call.Method, call.Path);
            if (call.Token is not null) request.Headers.Authorization = new("Bearer", call.Token);
            using var response = await Client.Http.SendAsync(request);
            ((int)response.StatusCode).Should().Be(call.Status, call.Path);
            Header(response, "X-Content-Type-Options").Should().Be("nosniff", $"{call.Method} {call.Path} answers {(int)response.StatusCode}");
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<[^>]*\s(style|on[a-z]+)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineStyleOrHandler();

    [GeneratedRegex("(?:src|href)=\"(/assets/[^\"]+)\"")]
    private static partial Regex AssetReference();
}
