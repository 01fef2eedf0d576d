using FlashSale.Core.Embedded;
using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Redis;
using FlashSale.Sqlite;
using StackExchange.Redis;

namespace FlashSale.Adapters.Tests;

/// <summary>The contract against the in-process gate, journaling to a real SQLite file.</summary>
public sealed class InProcessGateContract : GateContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-gate-").FullName;
    private readonly SqliteDatabase _database;
    private readonly SqliteFlashSaleStore _store;
    private readonly InProcessStockGate _gate;

    public InProcessGateContract()
    {
        _database = new SqliteDatabase(Path.Combine(_dir, "gate.db"));
        _database.Open();
        _store = new SqliteFlashSaleStore(_database, TimeProvider.System);
        _gate = new InProcessStockGate(_store, new SqliteIntentJournal(_database), new InProcessOrderQueue(), TimeProvider.System);
    }

    protected override async Task<IStockGate> GateWithAsync(Sale sale)
    {
        await _store.CreateSaleAsync(sale, default);
        await _gate.LoadSaleAsync(sale.Id, ct => _store.GetStockSnapshotAsync(sale.Id, ct), GateLoadMode.Normal, default);
        return _gate;
    }

    protected override Task<IStockGate> EmptyGateAsync() => Task.FromResult<IStockGate>(_gate);

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The contract against decide.lua on the real Redis of the test services.</summary>
public sealed class RedisGateContract : GateContract, IDisposable
{
    // Database 1: the sales made up here stay out of sight of any FlashSale process's relay (database 0).
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=1");

    protected override async Task<IStockGate> GateWithAsync(Sale sale)
    {
        var gate = new RedisStockGate(_redis);
        await gate.LoadSaleAsync(sale.Id, _ => Task.FromResult<SaleStockSnapshot?>(SaleStockSnapshot.Empty(sale)), GateLoadMode.Normal, default);
        return gate;
    }

    protected override Task<IStockGate> EmptyGateAsync() => Task.FromResult<IStockGate>(new RedisStockGate(_redis));

    public void Dispose() => _redis.Dispose();
}

/// <summary>
/// Proof that the contract has teeth: a gate that deducts the stock before it checks the user (the bug
/// design §3 warns of) must fail it.
/// </summary>
public sealed class GateContractCatchesBrokenGates
{
    [Fact]
    public async Task A_gate_that_checks_the_user_after_the_deduct_fails_the_contract()
    {
        var run = new DeductFirstGateContract();

        var act = () => run.A_refused_purchase_changes_nothing();

        await act.Should().ThrowAsync<Exception>().Where(e => e.GetType().Namespace!.StartsWith("Xunit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_test_passes_for_a_correct_gate()
    {
        using var run = new InProcessGateContract();
        await run.A_refused_purchase_changes_nothing();
    }

    /// <summary>Not public: xUnit does not run it as a test class; the test above runs one of its tests by hand.</summary>
    private sealed class DeductFirstGateContract : GateContract
    {
        protected override Task<IStockGate> GateWithAsync(Sale sale) => Task.FromResult<IStockGate>(new DeductFirstGate(sale));

        protected override Task<IStockGate> EmptyGateAsync() => throw new NotSupportedException();
    }

    private sealed class DeductFirstGate(Sale sale) : IStockGate
    {
        private readonly Dictionary<string, long> _users = [];
        private long _remaining = sale.Stock;
        private long _accepted;

        public Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
        {
            for (var i = 0; i < requests.Length; i++)
            {
                var r = requests.Span[i];
                if (_remaining < r.Quantity) { decisions.Span[i] = new(GateOutcome.SoldOut, 0, _remaining); continue; }
                _remaining -= r.Quantity; // the bug: stock taken before the user is checked, and never given back
                var total = _users.GetValueOrDefault(r.UserId);
                if (total + r.Quantity > sale.PerUserLimit) { decisions.Span[i] = new(GateOutcome.LimitExceeded, 0, _remaining); continue; }
                _users[r.UserId] = total + r.Quantity;
                _accepted += r.Quantity;
                decisions.Span[i] = new(GateOutcome.Accepted, r.CandidateOrderId, _remaining);
            }
            return Task.CompletedTask;
        }

        public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) =>
            Task.FromResult<GateSaleCounters?>(new GateSaleCounters(_remaining, _accepted, 0));

        public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
            Task.FromResult(GateLoad.Held);
        public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<OrderIntent?>(null);
        public Task<bool> ReturnFailedAsync(OrderIntent intent, CancellationToken cancellationToken) => Task.FromResult(false);
        public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<(string, string), long>>(new Dictionary<(string, string), long>());
    }
}
