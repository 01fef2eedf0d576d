using FlashSale.Bench.Baselines;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FlashSale.Bench.Tests;

/// <summary>The benchmark's database gates: retries of one request, all at once, make one order.</summary>
public sealed class DatabaseGateRetryTests : IDisposable
{
    private const int Requests = 8, Copies = 8;
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? throw new InvalidOperationException("ConnectionStrings__Postgres is not set: run the tests with scripts/test.sh, which starts the services."));

    [Theory]
    [InlineData(DatabaseGateStrategy.Pessimistic)]
    [InlineData(DatabaseGateStrategy.Optimistic)]
    public async Task Concurrent_retries_of_one_request_make_one_order(DatabaseGateStrategy strategy)
    {
        var store = new PostgresFlashSaleStore(_dataSource, NullLogger<PostgresFlashSaleStore>.Instance);
        await store.MigrateAsync(default);
        var now = DateTimeOffset.UtcNow;
        var sale = new Sale(NewId(), "Baseline phone", "sku", 10.50m, 1_000, 1_000, now.AddMinutes(-1), now.AddHours(1), 900);
        await store.CreateSaleAsync(sale, default);
        var gate = new PostgresDatabaseGate(_dataSource, strategy, TimeProvider.System);

        // Each request sent Copies times (a client retrying), each copy its own gate call as from separate
        // API processes, all released together on connections that are already open.
        var connections = await Task.WhenAll(Enumerable.Range(0, Requests * Copies).Select(_ => _dataSource.OpenConnectionAsync().AsTask()));
        foreach (var connection in connections) await connection.DisposeAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, Requests * Copies).Select(async i =>
        {
            await start.Task;
            var decision = new GateDecision[1];
            await gate.DecideAsync(sale.Id, new[] { new PurchaseRequest("alice", $"retry-{i % Requests}", 1, NewId()) }, decision, default);
            return (RequestId: $"retry-{i % Requests}", Decision: decision[0]);
        }).ToArray();
        start.SetResult();
        var decisions = await Task.WhenAll(calls);

        var orders = await store.GetUserOrdersAsync(sale.Id, "alice", default);
        orders.GroupBy(o => o.RequestId).Should().HaveCount(Requests).And.OnlyContain(g => g.Count() == 1, "a retry is the same purchase");
        foreach (var (requestId, decision) in decisions)
        {
            decision.Outcome.Should().BeOneOf(GateOutcome.Accepted, GateOutcome.Replayed);
            decision.OrderId.Should().Be(orders.Single(o => o.RequestId == requestId).OrderId);
        }
        decisions.Count(d => d.Decision.Outcome == GateOutcome.Accepted).Should().Be(Requests);
        (await store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(1_000 - Requests);
    }

    public void Dispose() => _dataSource.Dispose();

    private static long _nextId = Random.Shared.NextInt64(1L << 40, 1L << 50);

    private static long NewId() => Interlocked.Increment(ref _nextId);
}
