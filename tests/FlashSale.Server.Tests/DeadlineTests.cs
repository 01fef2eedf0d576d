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
        var relay = new OrderRelay(new RedisIntentLedger(redis), publisher, Options.Create(new PipelineOptions { CallTimeout = TimeSpan.FromSeconds(3) }), NullLogger<OrderRelay>.Instance);
        (await relay.RelayOnceAsync(CancellationToken.None)).Should().Be(0, "the relay works through the proxy");

        _proxy.Freeze();
        var watch = Stopwatch.StartNew();
        var relaying = async () => await relay.RelayOnceAsync(CancellationToken.None);
        await relaying.Should().ThrowAsync<Exception>();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4), "every Redis call of the relay has a deadline");
    }

    [Fact]
    public async Task A_relay_call_that_never_returns_is_abandoned_at_the_call_timeout()
    {
        var relay = new OrderRelay(new HangingLedger(), new RecordingPublisher(), Options.Create(new PipelineOptions { CallTimeout = TimeSpan.FromMilliseconds(500) }),
            NullLogger<OrderRelay>.Instance);
        var watch = Stopwatch.StartNew();
        var relaying = async () => await relay.RelayOnceAsync(CancellationToken.None);
        await relaying.Should().ThrowAsync<TimeoutException>();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3));
    }

    private sealed class RecordingPublisher : IOrderQueuePublisher
    {
        public Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A ledger whose every call ignores its token and never completes.</summary>
    private sealed class HangingLedger : IIntentLedger
    {
        private readonly TaskCompletionSource _never = new();

        public async Task<IReadOnlyList<long>> GetWatchedSalesAsync(CancellationToken cancellationToken)
        {
            await _never.Task;
            return [];
        }

        public async Task<IReadOnlyList<LedgerEntry>> ReadAsync(long saleId, string readerName, int maxCount, CancellationToken cancellationToken)
        {
            await _never.Task;
            return [];
        }

        public Task AcknowledgeAsync(long saleId, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken) => _never.Task;

        public async Task<IReadOnlyList<LedgerEntry>> PeekAsync(long saleId, string? afterEntryId, int maxCount, CancellationToken cancellationToken)
        {
            await _never.Task;
            return [];
        }

        public Task TrimAsync(long saleId, IReadOnlyList<LedgerEntry> persisted, CancellationToken cancellationToken) => _never.Task;

        public async Task<bool> TryRetireAsync(long saleId, CancellationToken cancellationToken)
        {
            await _never.Task;
            return false;
        }
    }
}
