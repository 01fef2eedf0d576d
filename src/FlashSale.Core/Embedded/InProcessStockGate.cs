using System.Collections.Concurrent;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;

namespace FlashSale.Core.Embedded;

/// <summary>
/// The stock gate of embedded mode: the rules of <see cref="GateRules"/> applied in memory under a short
/// lock (never held across an await), made durable by one ledger append per batch before any answer
/// leaves, then handed to the order queue. Batches of one sale are decided one after another so that
/// a failed append can be undone before the next batch sees its effects.
/// </summary>
public sealed class InProcessStockGate : IStockGate, IDisposable
{
    /// <summary>An ended sale's state is dropped from memory this long after its end (its ledger keeps it).</summary>
    public static readonly TimeSpan KeepAfterEnd = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<long, Lazy<Task<SaleState?>>> _sales = new();
    private readonly IFlashSaleStore store;
    private readonly IInProcessLedger ledger;
    private readonly IOrderQueuePublisher queue;
    private readonly TimeProvider time;
    private readonly ITimer _evictor;

    public InProcessStockGate(IFlashSaleStore store, IInProcessLedger ledger, IOrderQueuePublisher queue, TimeProvider time)
    {
        this.store = store;
        this.ledger = ledger;
        this.queue = queue;
        this.time = time;
        _evictor = time.CreateTimer(_ => EvictEndedSales(), null, KeepAfterEnd, KeepAfterEnd);
    }

    /// <summary>Sales held in memory now (diagnostics and tests).</summary>
    public int SalesHeld => _sales.Count;

    /// <summary>
    /// Drops the state of sales that ended over <see cref="KeepAfterEnd"/> ago. Nothing is accepted after the end,
    /// so the state rebuilt from the ledger on the next call (a late retry, the stats) is the same.
    /// </summary>
    public void EvictEndedSales()
    {
        var now = time.GetUtcNow();
        foreach (var (saleId, entry) in _sales)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully && entry.Value.Result is { } state
                && state.EndsAt + KeepAfterEnd < now && state.Serial.CurrentCount == 1)
            {
                _sales.TryRemove(new KeyValuePair<long, Lazy<Task<SaleState?>>>(saleId, entry));
            }
        }
    }

    public void Dispose() => _evictor.Dispose();

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        var sale = await LoadAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (sale is null)
        {
            decisions.Span.Fill(new GateDecision(GateOutcome.UnknownSale, 0, -1));
            return;
        }

        await sale.Serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var accepted = sale.Decide(requests.Span, decisions.Span, time.GetUtcNow().ToUnixTimeMilliseconds());
            if (accepted.Count == 0) return;
            try
            {
                await ledger.AppendAsync(accepted, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                sale.Undo(accepted);
                throw new GateUnavailableException($"the intent ledger could not be written: {ex.Message}", ex);
            }
            // Durable now; the queue is only a fast path (a crash here is recovered from the ledger).
            await queue.PublishAsync(accepted, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            sale.Serial.Release();
        }
    }

    /// <summary>The in-process gate loads itself from the store and its ledger (which keeps every intent) on first use.</summary>
    public async Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
        await LoadAsync(saleId, cancellationToken).ConfigureAwait(false) is null ? GateLoad.UnknownSale : GateLoad.Loaded;

    public async Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) =>
        (await LoadAsync(saleId, cancellationToken).ConfigureAwait(false))?.Counters();

    public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken)
    {
        foreach (var entry in _sales.Values)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully && entry.Value.Result?.Find(orderId) is { } intent)
                return Task.FromResult<OrderIntent?>(intent);
        }
        return Task.FromResult<OrderIntent?>(null);
    }

    public async Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
        (await LoadAsync(saleId, cancellationToken).ConfigureAwait(false))?.AcceptedRequests() ?? new Dictionary<(string, string), long>();

    public async Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken)
    {
        var sale = await LoadAsync(intent.SaleId, cancellationToken).ConfigureAwait(false);
        if (sale is null) return false;
        if (!await ledger.MarkReturnedAsync(intent.OrderId, cancellationToken).ConfigureAwait(false)) return false;
        sale.Return(intent);
        return true;
    }

    /// <summary>Reconciliation's read of a sale's state in memory, taken under its lock; null when the sale does not exist.</summary>
    internal async Task<(long Remaining, Dictionary<string, long> Users, List<OrderIntent> Intents)?> ReadStateAsync(long saleId, CancellationToken cancellationToken) =>
        (await LoadAsync(saleId, cancellationToken).ConfigureAwait(false))?.Read();

    /// <summary>Reconciliation's repair of stock and quota deducted with no intent: applied only to the state it was computed from.</summary>
    internal async Task<bool> ReturnOrphanedAsync(long saleId, Reconciliation.OrphanedDeduction deduction, CancellationToken cancellationToken) =>
        (await LoadAsync(saleId, cancellationToken).ConfigureAwait(false))?.ReturnOrphaned(deduction) ?? false;

    private Task<SaleState?> LoadAsync(long saleId, CancellationToken cancellationToken)
    {
        var entry = _sales.GetOrAdd(saleId, id => new Lazy<Task<SaleState?>>(() => BuildAsync(id)));
        var task = entry.Value;
        if (task.IsFaulted || (task.IsCompletedSuccessfully && task.Result is null))
        {
            // A failed or empty load is not cached: the store may be back, the sale may exist now.
            _sales.TryRemove(new KeyValuePair<long, Lazy<Task<SaleState?>>>(saleId, entry));
        }
        return task.WaitAsync(cancellationToken);
    }

    private async Task<SaleState?> BuildAsync(long saleId)
    {
        var sale = await store.FindSaleAsync(saleId, CancellationToken.None).ConfigureAwait(false);
        if (sale is null) return null;
        var intents = await ledger.LoadSaleAsync(saleId, CancellationToken.None).ConfigureAwait(false);
        return new SaleState(sale, intents);
    }

    /// <summary>One sale's gate state; every read and write happens under its monitor, never across an await.</summary>
    private sealed class SaleState
    {
        private readonly Sale _sale;
        private readonly long _startsMs, _endsMs;
        private readonly Dictionary<string, long> _userTotals = new(StringComparer.Ordinal);
        private readonly Dictionary<(string User, string Request), long> _requests = new();
        private readonly Dictionary<long, OrderIntent> _intents = new();
        private readonly Lock _sync = new();
        private long _remaining, _accepted, _returned;

        public SaleState(Sale sale, IReadOnlyList<LedgerRecord> recorded)
        {
            _sale = sale;
            _startsMs = sale.StartsAt.ToUnixTimeMilliseconds();
            _endsMs = sale.EndsAt.ToUnixTimeMilliseconds();
            _remaining = sale.Stock;
            foreach (var (intent, returned) in recorded)
            {
                Apply(intent);
                if (returned) Return(intent);
            }
        }

        public SemaphoreSlim Serial { get; } = new(1, 1);

        public DateTimeOffset EndsAt => _sale.EndsAt;

        public List<OrderIntent> Decide(ReadOnlySpan<PurchaseRequest> requests, Span<GateDecision> decisions, long nowMs)
        {
            var accepted = new List<OrderIntent>();
            lock (_sync)
            {
                for (var i = 0; i < requests.Length; i++)
                {
                    ref readonly var r = ref requests[i];
                    if (_requests.TryGetValue((r.UserId, r.RequestId), out var earlier))
                    {
                        decisions[i] = new GateDecision(GateOutcome.Replayed, earlier, _remaining);
                        continue;
                    }
                    var outcome = GateRules.Decide(nowMs, _startsMs, _endsMs, _sale.PerUserLimit, _remaining,
                        _userTotals.GetValueOrDefault(r.UserId), r.Quantity);
                    if (outcome == GateOutcome.Accepted && _intents.ContainsKey(r.CandidateOrderId)) outcome = GateOutcome.Unavailable;
                    if (outcome == GateOutcome.Accepted)
                    {
                        var intent = new OrderIntent(r.CandidateOrderId, _sale.Id, r.UserId, r.Quantity, r.RequestId, nowMs);
                        Apply(intent);
                        accepted.Add(intent);
                    }
                    decisions[i] = new GateDecision(outcome, outcome == GateOutcome.Accepted ? r.CandidateOrderId : 0, _remaining);
                }
                // Like decide.lua: every decision of a batch reports the stock left after the whole batch.
                for (var i = 0; i < decisions.Length; i++) decisions[i] = decisions[i] with { Remaining = _remaining };
            }
            return accepted;
        }

        public void Undo(List<OrderIntent> intents)
        {
            lock (_sync)
            {
                foreach (var intent in intents)
                {
                    _remaining += intent.Quantity;
                    _accepted -= intent.Quantity;
                    AddUser(intent.UserId, -intent.Quantity);
                    _requests.Remove((intent.UserId, intent.RequestId));
                    _intents.Remove(intent.OrderId);
                }
            }
        }

        public void Return(OrderIntent intent)
        {
            lock (_sync)
            {
                _remaining += intent.Quantity;
                _returned += intent.Quantity;
                AddUser(intent.UserId, -intent.Quantity);
            }
        }

        public GateSaleCounters Counters()
        {
            lock (_sync) return new GateSaleCounters(_remaining, _accepted, _returned);
        }

        public Dictionary<(string, string), long> AcceptedRequests()
        {
            lock (_sync) return new Dictionary<(string, string), long>(_requests);
        }

        public OrderIntent? Find(long orderId)
        {
            lock (_sync) return _intents.GetValueOrDefault(orderId);
        }

        public (long, Dictionary<string, long>, List<OrderIntent>) Read()
        {
            lock (_sync) return (_remaining, new Dictionary<string, long>(_userTotals, StringComparer.Ordinal), [.. _intents.Values]);
        }

        public bool ReturnOrphaned(Reconciliation.OrphanedDeduction deduction)
        {
            lock (_sync)
            {
                if (_remaining != deduction.ExpectedRemaining || deduction.Users.Any(u => _userTotals.GetValueOrDefault(u.UserId) != u.ExpectedTotal)) return false;
                _remaining += deduction.Units;
                foreach (var user in deduction.Users) AddUser(user.UserId, -user.Units);
                return true;
            }
        }

        private void Apply(OrderIntent intent)
        {
            _remaining -= intent.Quantity;
            _accepted += intent.Quantity;
            AddUser(intent.UserId, intent.Quantity);
            _requests[(intent.UserId, intent.RequestId)] = intent.OrderId;
            _intents[intent.OrderId] = intent;
        }

        private void AddUser(string user, long delta)
        {
            var total = _userTotals.GetValueOrDefault(user) + delta;
            if (total <= 0) _userTotals.Remove(user);
            else _userTotals[user] = total;
        }
    }
}
