using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace FlashSale.Bench.Tests;

/// <summary>The .NET client sends a purchase answered 5xx or lost again with the same requestId, and says what that learned.</summary>
public sealed partial class RetryTests
{
    private static readonly RetryPolicy Quick = new(5, TimeSpan.FromMilliseconds(1));

    /// <summary>A server whose every answer the test chooses, by how many times it has seen the request's requestId.</summary>
    private sealed partial class ScriptedServer(Func<string, int, HttpResponseMessage?> answer) : HttpMessageHandler
    {
        public ConcurrentDictionary<string, int> Seen { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            var requestId = RequestId().Match(body).Groups[1].Value;
            var seen = Seen.AddOrUpdate(requestId, 1, static (_, n) => n + 1);
            return answer(requestId, seen) ?? throw new HttpRequestException("connection reset");
        }

        [GeneratedRegex("\"requestId\":\"([^\"]+)\"")]
        private static partial Regex RequestId();
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Unavailable() => Answer(HttpStatusCode.ServiceUnavailable, "{\"code\":\"unavailable\"}");

    private static HttpResponseMessage Accepted(string requestId) => Answer(HttpStatusCode.Accepted, $"{{\"orderId\":\"o-{requestId}\",\"status\":\"queued\"}}");

    private static async Task<LoadResult> RunAsync(ScriptedServer server, int attempts) =>
        await LoadRun.RunAsync(new HttpClient(server) { BaseAddress = new Uri("http://bench.invalid/") }, "api/sales/1/purchase", ["t1", "t2", "t3"], attempts, 4, "test", Quick);

    [Fact]
    public async Task A_503_is_sent_again_with_the_same_requestId_until_it_is_answered_and_the_retries_count_what_they_learned()
    {
        // The first two answers to each purchase are 503 unavailable (its gate timed out), the third the 202 of the order it made.
        var server = new ScriptedServer((requestId, seen) => seen < 3 ? Unavailable() : Accepted(requestId));

        var result = await RunAsync(server, 30);

        server.Seen.Should().HaveCount(30, "each purchase keeps its requestId").And.OnlyContain(s => s.Value == 3);
        result.ByCode.Should().Equal(new Dictionary<string, long> { ["accepted"] = 30 });
        result.Accepted.Select(a => a.OrderId).Should().OnlyHaveUniqueItems().And.HaveCount(30);
        result.Retries.Should().Be(60);
        result.LearnedByRetry.Should().Equal(new Dictionary<string, long> { ["accepted"] = 30 });
        result.Unresolved.Should().BeEmpty();
    }

    [Fact]
    public async Task A_purchase_lost_in_transport_is_sent_again_and_one_never_answered_is_unresolved()
    {
        // Even purchases lose their first request's answer; odd ones are refused 503 every time.
        var server = new ScriptedServer((requestId, seen) =>
            int.Parse(requestId[1..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1 ? Unavailable() : seen == 1 ? null : Accepted(requestId));

        var result = await RunAsync(server, 10);

        result.ByCode.Should().Equal(new Dictionary<string, long> { ["accepted"] = 5, ["unavailable"] = 5 });
        result.Retries.Should().Be(5 * 1 + 5 * Quick.MaxRetries);
        result.LearnedByRetry.Should().Equal(new Dictionary<string, long> { ["accepted"] = 5, ["unavailable"] = 5 });
        result.Unresolved.Should().Equal(new Dictionary<string, long> { ["unavailable"] = 5 });
        server.Seen.Where(s => s.Value == 1 + Quick.MaxRetries).Should().HaveCount(5);
    }

    [Fact]
    public async Task A_refusal_below_500_is_an_answer_and_is_not_sent_again()
    {
        var server = new ScriptedServer((_, _) => Answer(HttpStatusCode.TooManyRequests, "{\"code\":\"busy\"}"));

        var result = await RunAsync(server, 10);

        result.ByCode.Should().Equal(new Dictionary<string, long> { ["busy"] = 10 });
        result.Retries.Should().Be(0);
        server.Seen.Values.Should().OnlyContain(n => n == 1);
    }
}
