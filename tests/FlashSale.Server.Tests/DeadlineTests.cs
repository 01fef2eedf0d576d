using System.Diagnostics;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Redis;
using FlashSale.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Server.Tests;

/// <summary>
/// A remote call outside the purchase path never hangs: a Redis behind a half-open connection (a proxy
/// that accepts and then forwards nothing) makes the order lookup and the relay fail within their deadline.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DeadlineTests : IAsyncLifetime
{
    private readonly PrivateRedis _redis = new();
    private HalfOpenProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        _proxy = new HalfOpenProxy(_redis.Port);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task An_order_lookup_on_a_half_open_redis_connection_answers_503_within_the_deadline()
    {
        // No worker: the order stays in the gate, so its lookup has to ask Redis.
        await using var server = new ServerProcess("api", new Dictionary<string, string> { ["ConnectionStrings__Redis"] = $"127.0.0.1:{_proxy.Port}" });
        await server.StartAsync();
        var client = Buyers.ClientFor(server);
        var saleId = await client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var token = await client.TokenAsync("deadline-user");
        var accepted = await client.PurchaseAsync(saleId, token, 1, "r1");
        accepted.Status.Should().Be(202);
        (await client.GetAsync($"api/orders/{accepted.OrderId}", token)).Status.Should().Be(200, "the queued order is found in the gate");

        _proxy.Freeze();
        var watch = Stopwatch.StartNew();
        var (status, body) = await client.GetAsync($"api/orders/{accepted.OrderId}", token);
        watch.Stop();

        status.Should().Be(503, body?.ToJsonString());
        body!["code"]!.GetValue<string>().Should().Be("unavailable");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(6), "the lookup has a deadline (Redis SyncTimeout 2 s, call timeout 5 s)");
    }

    [Fact]
    public async Task The_relay_fails_within_its_deadline_on_a_half_open_redis_connection()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{_proxy.Port}");
        options.SyncTimeout = 1_000;
        options.AbortOnConnectFail = false;
        using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var publisher = new RecordingPublisher();
        var relay = new OrderRelay(new RedisIntentLedger(new RedisConnection(redis)), publisher, Options.Create(new PipelineOptions { CallTimeout = TimeSpan.FromSeconds(3) }), NullLogger<OrderRelay>.Instance);
        (await relay.RelayOnceAsync(CancellationToken.None)).Should().Be(0, "the relay works through the proxy");

        _proxy.Freeze();
        var watch = Stopwatch.StartNew();
        var relaying = async () => await relay.RelayOnceAsync(CancellationToken.None);
        await relaying.Should().ThrowAsync<Exception>();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4), "every Redis call of the relay has a deadline");
    }

    private sealed class RecordingPublisher : IOrderQueuePublisher
    {
        public Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
