using System.Text.Json.Nodes;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// A real server (Kestrel) refuses a chunked body beyond a call's limit as it reads it: 413 problem+json body_too_large,
/// with nothing buffered beyond the limit, no error logged and no stack trace.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BodyLimitTests : EmbeddedServerTest
{
    [Theory]
    [InlineData("api/dev/token", """{"userId":"mallory"}""")] // unauthenticated, 16 KiB
    [InlineData("api/payments/webhook", """{"paymentId":"p1"}""")] // unsigned, 4 KiB
    public async Task A_chunked_mebibyte_is_answered_413_problem_json_without_an_error_log(string path, string json)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await ChunkedContent.SendRefusedAsync(http,
            () => new HttpRequestMessage(HttpMethod.Post, path) { Content = new ChunkedContent(ChunkedContent.PaddedJson(json, 1024 * 1024)) });
        var text = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).Should().Be(413, text);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        JsonNode.Parse(text)!["code"]!.GetValue<string>().Should().Be("body_too_large");
        response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        (await http.GetAsync("health/live")).IsSuccessStatusCode.Should().BeTrue("the server goes on serving");
        ServerLog.Entries(Server.Log).Where(e => e.IsError).Should().BeEmpty("a client's oversized body is not the server's error");
        Server.Log.Should().NotContain("   at ", "no stack trace");
    }
}
