using FlashSale.Core.Purchasing;
using FlashSale.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FlashSale.Adapters.Tests;

/// <summary>The benchmark's database gates: retries of one request, all at once, make one order.</summary>
public sealed class DatabaseGateRetryTests : IDisposable
{
    private const int Requests = 8, Copies = 8;
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(TestEnvironment.Postgres);

    [Theory]
    [InlineData(DatabaseGateStrategy.Pessimistic)]
    [InlineData(DatabaseGateStrategy.Optimistic)]
    public async Task Concurrent_retries_of_one_request_make_one_order(DatabaseGateStrategy strategy)
    {
        var store = new PostgresFlashSaleStore(_dataSource, NullLogger<PostgresFlashSaleStore>.Instance);
        await store.MigrateAsync(default);
        var sale = TestEnvironment.NewSale(stock: 1_000, perUserLimit: 1_000);
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
            await gate.DecideAsync(sale.Id, new[] { new PurchaseRequest("alice", $"retry-{i % Requests}", 1, TestEnvironment.NewId()) }, decision, default);
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
}
