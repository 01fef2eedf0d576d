using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Redis;
using StackExchange.Redis;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>The contract against the in-process gate, recording to a real SQLite file.</summary>
public sealed class InProcessGateContract : GateContract, IDisposable
{
    private readonly EmbeddedNode _node = EmbeddedNode.InNewFolder("gate");

    protected override async Task<IStockGate> GateWithAsync(Sale sale)
    {
        await _node.Store.CreateSaleAsync(sale, default);
        await _node.Gate.LoadSaleAsync(sale.Id, ct => _node.Store.GetStockSnapshotAsync(sale.Id, ct), GateLoadMode.Normal, default);
        return _node.Gate;
    }

    protected override Task<IStockGate> EmptyGateAsync() => Task.FromResult<IStockGate>(_node.Gate);

    public void Dispose() => _node.Dispose();
}

/// <summary>The contract against decide.lua on the real Redis of the test services.</summary>
public sealed class RedisGateContract : GateContract, IDisposable
{
    // Database 1: the sales made up here stay out of sight of any FlashSale process's relay (database 0).
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=1");

    protected override async Task<IStockGate> GateWithAsync(Sale sale)
    {
        var gate = new RedisStockGate(new RedisConnection(_redis));
        await gate.LoadSaleAsync(sale.Id, _ => Task.FromResult<SaleStockSnapshot?>(SaleStockSnapshot.Empty(sale)), GateLoadMode.Normal, default);
        return gate;
    }

    protected override Task<IStockGate> EmptyGateAsync() => Task.FromResult<IStockGate>(new RedisStockGate(new RedisConnection(_redis)));

    public void Dispose() => _redis.Dispose();
}

/// <summary>What only the Redis gate can get wrong: Lua's partial failures, lost keys, replicas and expiry.</summary>
public sealed class RedisGateFaults : IDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=1,allowAdmin=true");
    public void Dispose() => _redis.Dispose();

    private IDatabase Db => _redis.GetDatabase(1);

    private static string Key(Sale sale, string name) => RedisKeys.For(sale.Id).Prefix + name;

    private static Func<CancellationToken, Task<SaleStockSnapshot?>> Store(SaleStockSnapshot snapshot) => _ => Task.FromResult<SaleStockSnapshot?>(snapshot);

    private async Task<RedisStockGate> GateWithAsync(Sale sale, RedisGateOptions? options = null)
    {
        var gate = new RedisStockGate(new RedisConnection(_redis, options?.CallTimeout), options);
        (await gate.LoadSaleAsync(sale.Id, Store(SaleStockSnapshot.Empty(sale)), GateLoadMode.Normal, default)).Should().Be(GateLoad.Loaded);
        return gate;
    }

    private static StoredOrder Persisted(PurchaseRequest r, GateDecision d) => new(d.OrderId, r.UserId, r.Quantity, r.RequestId, OrderStatus.PendingPayment, 0);

    [Fact]
    public async Task An_error_in_the_middle_of_a_batch_leaves_every_earlier_acceptance_with_its_stock_deducted()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var gate = await GateWithAsync(sale);
        await Db.HashSetAsync(Key(sale, "users"), "broken", "not a number"); // makes the script fail on this user's request
        var alice = Request("alice", 2);

        var act = () => DecideAsync(gate, sale.Id, alice, Request("broken", 1));

        await act.Should().ThrowAsync<GateUnavailableException>("a script error is no decision: fail closed");
        var counters = await gate.GetCountersAsync(sale.Id, default);
        counters!.Accepted.Should().Be(2, "alice's intent went into the ledger before the error");
        counters.Remaining.Should().Be(8, "and so did her deduction: Redis does not roll a script back");
        (await DecideAsync(gate, sale.Id, alice))[0].Outcome.Should().Be(GateOutcome.Replayed, "her retry learns the truth");
    }

    [Fact]
    public async Task A_gate_that_lost_its_keys_is_rebuilt_from_the_database_plus_the_ledger_intents_not_yet_persisted()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var gate = await GateWithAsync(sale);
        PurchaseRequest a = Request("a", 2), b = Request("b", 1), c = Request("c", 1);
        var d = await DecideAsync(gate, sale.Id, a, b, c);
        // a and b reached the database; c is still on its way (in the ledger, or the queue).
        var database = new SaleStockSnapshot(sale, [Persisted(a, d[0]), Persisted(b, d[1])], GateLoaded: true);
        await Db.KeyDeleteAsync([Key(sale, "meta"), Key(sale, "users"), Key(sale, "requests"), Key(sale, "orders")]);

        (await DecideAsync(gate, sale.Id, Request("x", 1)))[0].Outcome.Should().Be(GateOutcome.UnknownSale);
        (await gate.LoadSaleAsync(sale.Id, Store(database), GateLoadMode.Normal, default)).Should().Be(GateLoad.Loaded);

        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(6, "c's unit is still sold: 10 - 2 - 1 - 1");
        var again = await DecideAsync(gate, sale.Id, c, Request("c", 2), a);
        again.Select(x => (x.Outcome, x.OrderId)).Should().Equal((GateOutcome.Replayed, d[2].OrderId), (GateOutcome.LimitExceeded, 0), (GateOutcome.Replayed, d[0].OrderId));
        (await gate.LoadSaleAsync(sale.Id, Store(database), GateLoadMode.Normal, default)).Should().Be(GateLoad.Held, "a live gate is never reset");
    }

    [Fact]
    public async Task A_gate_that_lost_its_ledger_too_stays_closed_until_rebuilt_on_purpose()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var gate = await GateWithAsync(sale);
        var a = Request("a", 1);
        var d = await DecideAsync(gate, sale.Id, a);
        await Db.KeyDeleteAsync([Key(sale, "meta"), Key(sale, "users"), Key(sale, "requests"), Key(sale, "orders"), Key(sale, "ledger")]);
        var database = new SaleStockSnapshot(sale, [], GateLoaded: true); // a's order may still be in the queue

        (await gate.LoadSaleAsync(sale.Id, Store(database), GateLoadMode.Normal, default)).Should().Be(GateLoad.StateLost);
        (await DecideAsync(gate, sale.Id, Request("x", 1)))[0].Outcome.Should().Be(GateOutcome.UnknownSale, "nothing was rebuilt");

        var drained = database with { Orders = [Persisted(a, d[0])] };
        (await gate.LoadSaleAsync(sale.Id, Store(drained), GateLoadMode.AfterStateLoss, default)).Should().Be(GateLoad.Loaded);
        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(9);
    }

    [Fact]
    public async Task With_replicas_required_a_batch_no_replica_confirmed_is_unavailable_and_its_retry_tells_the_truth()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var waiting = await GateWithAsync(sale, new RedisGateOptions { WaitForReplicas = 1, ReplicaTimeout = TimeSpan.FromMilliseconds(50) });
        var a = Request("a", 1);

        var act = () => DecideAsync(waiting, sale.Id, a);

        await act.Should().ThrowAsync<GateUnavailableException>("the test Redis has no replica to confirm the acceptance");
        (await DecideAsync(new RedisStockGate(new RedisConnection(_redis)), sale.Id, a))[0].Outcome.Should().Be(GateOutcome.Replayed);
    }

    [Fact]
    public async Task A_sale_s_funnel_counters_expire_a_while_after_their_last_change()
    {
        var store = new RedisFunnelStore(new RedisConnection(_redis));
        var saleId = TestEnvironment.NewId();
        var delta = Core.Purchasing.FunnelSnapshot.Empty;
        delta.Arrived[0] = 3;

        await store.AddAsync(saleId, delta, default);

        var ttl = await Db.KeyTimeToLiveAsync(RedisKeys.For(saleId).Funnel);
        ttl.Should().NotBeNull("ended sales must not leave their counters in Redis for ever");
        ttl!.Value.Should().BeCloseTo(RedisFunnelStore.KeepAfterLastFlush, TimeSpan.FromMinutes(1));
        (await store.ReadAsync(saleId, default)).Arrived[0].Should().Be(3);
    }

    [Fact]
    public void A_replica_wait_longer_than_the_call_deadline_is_refused_at_start()
    {
        var options = new RedisGateOptions { WaitForReplicas = 1, ReplicaTimeout = TimeSpan.FromSeconds(2), CallTimeout = TimeSpan.FromSeconds(1) };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true).Should().BeFalse();
        results.Should().ContainSingle().Which.ErrorMessage.Should().Contain("ReplicaTimeout");
        var defaults = new RedisGateOptions { WaitForReplicas = 1 };
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(defaults, new(defaults), results = [], true).Should().BeTrue("the defaults fit");
    }

    [Fact]
    public async Task A_sale_s_keys_expire_a_retention_period_after_its_end()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var gate = await GateWithAsync(sale, new RedisGateOptions { RetentionAfterEnd = TimeSpan.FromHours(2) });
        await DecideAsync(gate, sale.Id, Request("a", 1));
        var deadline = sale.EndsAt + TimeSpan.FromHours(2);

        foreach (var name in new[] { "meta", "users", "requests", "orders" })
        {
            var ttl = await Db.KeyTimeToLiveAsync(Key(sale, name));
            ttl.Should().NotBeNull($"{name} must not outlive the sale forever");
            (DateTimeOffset.UtcNow + ttl!.Value).Should().BeCloseTo(deadline, TimeSpan.FromSeconds(30), name);
        }
    }
}

/// <summary>
/// Proof that the contract has teeth: a gate that deducts the stock before it checks the user (a peer
/// that checks the user after the deduct lets one user past the limit) must fail it.
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
        public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken) => Task.FromResult(false);
        public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<(string, string), long>>(new Dictionary<(string, string), long>());
    }
}
