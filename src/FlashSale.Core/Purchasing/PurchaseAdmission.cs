using System.Collections.Concurrent;
using System.Threading.Channels;
using FlashSale.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// The in-process admission stage: a bounded queue per sale, drained by a few batchers that
/// each decide up to <see cref="AdmissionOptions.MaxBatchSize"/> purchases per gate call, and the
/// closed flag (sold out, or ended) that answers losers without a remote call.
/// </summary>
public sealed class PurchaseAdmission : IClosedFlags, IAsyncDisposable
{
    private readonly IStockGate _gate;
    private readonly AdmissionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PurchaseAdmission> _logger;
    private readonly ConcurrentDictionary<long, SaleLane> _lanes = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private readonly ITimer _evictor;
    private readonly GateMetrics? _gateMetrics;
    private readonly PipelineMetrics? _pipelineMetrics;

    public PurchaseAdmission(IStockGate gate, IOptions<AdmissionOptions> options, TimeProvider time, ILogger<PurchaseAdmission> logger,
        PurchaseMetrics? purchaseMetrics = null, GateMetrics? gateMetrics = null, PipelineMetrics? pipelineMetrics = null)
    {
        _gate = gate;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _gateMetrics = gateMetrics;
        _pipelineMetrics = pipelineMetrics;
        purchaseMetrics?.Meter.CreateObservableGauge("flashsale.admission.queue.depth", () => _lanes.Values.Sum(l => l.Queue.Reader.Count),
            "{purchase}", "Purchases waiting for a gate call in this process, all sales");
        var every = _options.LaneIdleTimeout / 2;
        _evictor = time.CreateTimer(_ => EvictIdleLanes(), null, every, every);
    }

    /// <summary>
    /// While this process knows the sale is closed (no stock left, or ended), answers without asking the gate:
    /// the earlier order for a (user, requestId) the gate accepted, <paramref name="closedAnswer"/> (or the
    /// flag's own outcome) for anyone else. Null when the gate must decide.
    /// </summary>
    public GateDecision? AnswerFromClosedFlag(long saleId, string userId, string requestId, GateOutcome? closedAnswer = null)
    {
        if (!_lanes.TryGetValue(saleId, out var lane)) return null;
        var flag = lane.Flag;
        if (flag is null || flag.Until <= _time.GetTimestamp()) return null;
        return flag.Winners.TryGetValue((userId, requestId), out var orderId)
            ? new GateDecision(GateOutcome.Replayed, orderId, 0)
            : new GateDecision(closedAnswer ?? flag.Outcome, 0, 0);
    }

    /// <summary>
    /// Queues a purchase for the gate. Returns false when the sale's queue is full (answer 429 busy).
    /// </summary>
    public bool TryEnqueue(long saleId, in PurchaseRequest request, out ValueTask<GateDecision> decision)
    {
        var lane = _lanes.GetOrAdd(saleId, static (id, self) => self.StartLane(id), this);
        lane.LastUsed = _time.GetTimestamp();
        var ticket = PurchaseTicket.Rent(request);
        decision = ticket.AsValueTask();
        if (lane.Queue.Writer.TryWrite(ticket)) return true;
        ticket.ReturnUnused();
        decision = default;
        return false;
    }

    /// <summary>Purchases waiting for the gate in this process.</summary>
    public int QueueDepth(long saleId) => _lanes.TryGetValue(saleId, out var lane) ? lane.Queue.Reader.Count : 0;

    /// <summary>Sales with a lane in this process (lanes idle for <see cref="AdmissionOptions.LaneIdleTimeout"/> are dropped).</summary>
    public int LaneCount => _lanes.Count;

    private SaleLane StartLane(long saleId)
    {
        var lane = new SaleLane(saleId, Channel.CreateBounded<PurchaseTicket>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of waiting
            SingleReader = _options.BatchersPerSale == 1,
            SingleWriter = false,
        }));
        for (var i = 0; i < _options.BatchersPerSale; i++)
        {
            _ = Task.Run(() => RunBatcherAsync(lane, _stopping.Token));
        }
        return lane;
    }

    private async Task RunBatcherAsync(SaleLane lane, CancellationToken stopping)
    {
        var max = _options.MaxBatchSize;
        var tickets = new PurchaseTicket[max];
        var requests = new PurchaseRequest[max];
        var decisions = new GateDecision[max];
        var reader = lane.Queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                var count = 0;
                while (count < max && reader.TryRead(out var ticket))
                {
                    tickets[count] = ticket;
                    requests[count] = ticket.Request;
                    count++;
                }
                if (count == 0) continue;

                var call = await DecideAsync(lane, requests.AsMemory(0, count), decisions.AsMemory(0, count), stopping).ConfigureAwait(false);
                for (var i = 0; i < count; i++)
                {
                    tickets[i].Complete(call == GateCall.Decided ? decisions[i] : GateDecision.Unavailable);
                    tickets[i] = null!;
                }
                if (call == GateCall.Abandoned)
                {
                    // The abandoned call may still write into these buffers: the next batch gets its own.
                    requests = new PurchaseRequest[max];
                    decisions = new GateDecision[max];
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        // Whoever is still queued at shutdown (or eviction) gets a clear "try again", never silence.
        while (reader.TryRead(out var left)) left.Complete(GateDecision.Unavailable);
    }

    private enum GateCall { Decided, Failed, Abandoned }

    private async Task<GateCall> DecideAsync(SaleLane lane, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken stopping)
    {
        Task? call = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.GateTimeout);
            call = _gate.DecideAsync(lane.SaleId, requests, decisions, timeout.Token);
            await call.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Fail closed on any failure, of any type: the gate may or may not have decided, and the caller
            // retries with the same requestId. The lane itself lives on for the next batch.
            _logger.LogWarning("Stock gate unavailable for sale {SaleId}: {Reason}", lane.SaleId, ex.Message);
            var abandoned = call is { IsCompleted: false };
            _gateMetrics?.Called(abandoned ? GateMetrics.TimedOut : GateMetrics.Failed, requests.Length, started);
            return abandoned ? GateCall.Abandoned : GateCall.Failed;
        }
        _gateMetrics?.Called(GateMetrics.Decided, requests.Length, started);

        var span = decisions.Span;
        if (_pipelineMetrics is not null)
        {
            var units = 0;
            var asked = requests.Span;
            for (var i = 0; i < span.Length; i++)
            {
                if (span[i].Outcome == GateOutcome.Accepted) units += asked[i].Quantity;
            }
            if (units > 0) _pipelineMetrics.Accepted(units);
        }
        for (var i = 0; i < span.Length; i++)
        {
            // Only an empty gate closes the sale here: a quantity-2 loser with one unit left does not.
            if (span[i].Remaining == 0 && span[i].Outcome is GateOutcome.Accepted or GateOutcome.SoldOut)
            {
                RaiseClosedFlag(lane, GateOutcome.SoldOut);
                break;
            }
            if (span[i].Outcome == GateOutcome.Ended)
            {
                RaiseClosedFlag(lane, GateOutcome.Ended);
                break;
            }
        }
        return GateCall.Decided;
    }

    /// <summary>
    /// The flag goes up only once the sale's winners are known here, so that a retry of an accepted request
    /// is still answered with its order; until then the gate keeps deciding. The winners are copied again only
    /// when the gate accepted something since the last copy (its accepted count changed), so a sold-out sale
    /// costs one small read per <see cref="AdmissionOptions.SoldOutFlagTtl"/>, not a copy of every winner.
    /// </summary>
    private void RaiseClosedFlag(SaleLane lane, GateOutcome outcome)
    {
        if (Interlocked.Exchange(ref lane.LoadingWinners, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(_options.GateTimeout);
                var before = await _gate.GetCountersAsync(lane.SaleId, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
                if (before is null || (outcome == GateOutcome.SoldOut && before.Remaining > 0)) return;
                var flag = lane.Flag;
                var winners = flag is not null && flag.Version == before.Accepted
                    ? flag.Winners
                    : await _gate.GetAcceptedRequestsAsync(lane.SaleId, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
                var after = await _gate.GetCountersAsync(lane.SaleId, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
                // Someone won while the winners were copied: the copy may miss them, so the gate keeps deciding.
                if (after is null || after.Accepted != before.Accepted || (outcome == GateOutcome.SoldOut && after.Remaining > 0)) return;
                var ttl = (long)(_options.SoldOutFlagTtl.TotalSeconds * _time.TimestampFrequency);
                lane.Flag = new ClosedFlag(outcome, winners, before.Accepted, _time.GetTimestamp() + ttl);
            }
            catch (Exception ex)
            {
                _logger.LogDebug("Closed flag of sale {SaleId} not raised: {Reason}", lane.SaleId, ex.Message);
            }
            finally
            {
                Volatile.Write(ref lane.LoadingWinners, 0);
            }
        });
    }

    /// <summary>Forgets the closed flag (stock came back to the gate).</summary>
    public void ClearSoldOut(long saleId)
    {
        if (_lanes.TryGetValue(saleId, out var lane)) lane.Flag = null;
    }

    /// <summary>Drops the lanes (and their copies of the winners) of sales nobody asked for a while.</summary>
    public void EvictIdleLanes()
    {
        var idleSince = _time.GetTimestamp() - (long)(_options.LaneIdleTimeout.TotalSeconds * _time.TimestampFrequency);
        foreach (var (saleId, lane) in _lanes)
        {
            if (lane.LastUsed > idleSince || lane.Queue.Reader.Count > 0) continue;
            // A purchase racing the removal finds a completed queue and is answered 429 busy: it retries.
            if (_lanes.TryRemove(new KeyValuePair<long, SaleLane>(saleId, lane))) lane.Queue.Writer.TryComplete();
        }
    }

    /// <summary>Stops the batchers; safe to call twice (the container disposes it once per service it is registered as).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _evictor.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var lane in _lanes.Values) lane.Queue.Writer.TryComplete();
        _stopping.Dispose();
    }

    private sealed record ClosedFlag(GateOutcome Outcome, IReadOnlyDictionary<(string UserId, string RequestId), long> Winners, long Version, long Until);

    private sealed class SaleLane(long saleId, Channel<PurchaseTicket> queue)
    {
        public long SaleId { get; } = saleId;
        public Channel<PurchaseTicket> Queue { get; } = queue;
        public long LastUsed;
        public int LoadingWinners;
        public volatile ClosedFlag? Flag;
    }
}
