using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Payments;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FlashSale.Api.Tests;

/// <summary>
/// Each call reads at most its body limit, declared or chunked, and answers a longer body 413 body_too_large; a request the
/// server refuses while reading it (Kestrel's BadHttpRequestException) is its own 4xx problem+json, never a 500 with an
/// error log. (The in-process server has no Kestrel limits: these hold by the readers' own counting; a real server's
/// answer to a chunked body is in FlashSale.Server.Tests.)
/// </summary>
public sealed class BodyLimitTests() : ApiTest(services: services =>
{
    services.Replace(ServiceDescriptor.Singleton<IPaymentEventSink, RefusingSink>());
    services.AddSingleton<ILoggerProvider>(Logs);
})
{
    private static readonly CapturedLogs Logs = new();

    [Fact]
    public async Task A_chunked_body_beyond_16_KiB_is_refused_unread_413_even_unauthenticated()
    {
        // Valid JSON a mebibyte long: without the limit, dev sign-in buffers it all and answers 200.
        var body = ChunkedContent.PaddedJson("""{"userId":"mallory"}""", 1024 * 1024);

        var (status, problem, contentType) = await PostAsync("api/dev/token", new ChunkedContent(body));

        (status, problem?["code"]?.GetValue<string>()).Should().Be((413, "body_too_large"), problem?.ToJsonString());
        contentType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task A_body_of_exactly_16_KiB_is_read_chunked_or_declared_and_one_byte_more_is_413()
    {
        var atLimit = ChunkedContent.PaddedJson("""{"userId":"alice"}""", 16 * 1024);
        var overLimit = ChunkedContent.PaddedJson("""{"userId":"alice"}""", 16 * 1024 + 1);

        (await PostAsync("api/dev/token", new ChunkedContent(atLimit))).Status.Should().Be(200);
        (await PostAsync("api/dev/token", Declared(atLimit))).Status.Should().Be(200);
        (await PostAsync("api/dev/token", new ChunkedContent(overLimit))).Status.Should().Be(413);
        var declared = await PostAsync("api/dev/token", Declared(overLimit));
        (declared.Status, declared.Problem?["code"]?.GetValue<string>()).Should().Be((413, "body_too_large"), "a declared length over the limit is refused unread");
    }

    [Fact]
    public async Task A_purchase_body_beyond_the_limit_is_413_and_buys_nothing()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var token = await Client.TokenAsync("alice");
        var body = ChunkedContent.PaddedJson("""{"quantity":1,"requestId":"big-1"}""", 64 * 1024);

        var (status, problem, _) = await PostAsync($"api/sales/{saleId}/purchase", new ChunkedContent(body), token);

        (status, problem?["code"]?.GetValue<string>()).Should().Be((413, "body_too_large"));
        (await Client.StatsAsync(saleId))["accepted"]!.GetValue<long>().Should().Be(0);
    }

    [Fact]
    public async Task The_payment_webhook_takes_at_most_4_KiB_declared_or_chunked_and_answers_more_413_before_its_signature()
    {
        var body = ChunkedContent.PaddedJson("""{"paymentId":"p1"}""", PaymentEvent.MaxBodyBytes + 1);

        foreach (var content in new HttpContent[] { new ChunkedContent(body), Declared(body) })
        {
            var (status, problem, contentType) = await PostAsync("api/payments/webhook", content);
            (status, problem?["code"]?.GetValue<string>()).Should().Be((413, "body_too_large"), problem?.ToJsonString());
            contentType.Should().Be("application/problem+json");
        }
        (await PostAsync("api/payments/webhook", new ChunkedContent(Encoding.UTF8.GetBytes("""{"paymentId":"p1"}""")))).Status
            .Should().Be(401, "a body within the limit goes on to the signature check");
    }

    [Theory]
    [InlineData(413, "body_too_large")]
    [InlineData(400, "invalid_request")]
    [InlineData(408, "request_timeout")]
    public async Task A_request_the_server_refuses_while_reading_it_answers_its_own_4xx_as_problem_json_without_an_error_log(int status, string code)
    {
        var (answered, problem, contentType) = await PostAsync("api/payments/webhook", Declared(Encoding.UTF8.GetBytes($"refuse {status}")));

        (answered, problem?["code"]?.GetValue<string>()).Should().Be((status, code), problem?.ToJsonString());
        contentType.Should().Be("application/problem+json");
        Logs.Errors.Should().BeEmpty("a client's bad request is not the server's error");
    }

    private static ByteArrayContent Declared(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<(int Status, JsonObject? Problem, string? ContentType)> PostAsync(string path, HttpContent content, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Client.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonNode.Parse(text)!.AsObject() : null;
        return ((int)response.StatusCode, json, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Stands in for the webhook's recorder: a body "refuse N" makes it throw what Kestrel throws for a request it refuses mid-read.</summary>
    private sealed class RefusingSink : IPaymentEventSink
    {
        public Task<WebhookDelivery> DeliverAsync(ReadOnlyMemory<byte> body, string? signature, CancellationToken cancellationToken)
        {
            var text = Encoding.UTF8.GetString(body.Span);
            return text.StartsWith("refuse ", StringComparison.Ordinal)
                ? throw new BadHttpRequestException("Refused while reading.", int.Parse(text["refuse ".Length..], System.Globalization.CultureInfo.InvariantCulture))
                : Task.FromResult(WebhookDelivery.Unauthorized);
        }
    }

    /// <summary>Every error the server logs.</summary>
    private sealed class CapturedLogs : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Errors { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) Errors.Enqueue(formatter(state, exception) + " " + exception);
        }

        public void Dispose()
        {
        }
    }
}
