using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// The in-process admission stage (design §2): a bounded queue per sale, drained by a few batchers that
/// each decide up to <see cref="AdmissionOptions.MaxBatchSize"/> purchases per gate call, and the
/// sold-out flag that answers losers without a remote call.
/// </summary>
public sealed class PurchaseAdmission(
    IStockGate gate,
    IOptions<AdmissionOptions> options,
    TimeProvider time,
    ILogger<PurchaseAdmission> logger) : IAsyncDisposable
{
    private readonly AdmissionOptions _options = options.Value;
    private readonly ConcurrentDictionary<long, SaleLane> _lanes = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// While this process believes the sale has no stock left, answers without asking the gate: the earlier
    /// order for a (user, requestId) the gate accepted, sold out for anyone else. Null when the gate must decide.
    /// </summary>
    public GateDecision? AnswerFromSoldOutFlag(long saleId, string userId, string requestId)
    {
        if (!_lanes.TryGetValue(saleId, out var lane) || lane.SoldOutUntil <= time.GetTimestamp()) return null;
        return lane.Winners!.TryGetValue((userId, requestId), out var orderId)
            ? new GateDecision(GateOutcome.Replayed, orderId, 0)
            : new GateDecision(GateOutcome.SoldOut, 0, 0);
    }

    /// <summary>
    /// Queues a purchase for the gate. Returns false when the sale's queue is full (answer 429 busy).
    /// </summary>
    public bool TryEnqueue(long saleId, in PurchaseRequest request, out ValueTask<GateDecision> decision)
    {
        var lane = _lanes.GetOrAdd(saleId, static (id, self) => self.StartLane(id), this);
        var ticket = PurchaseTicket.Rent(request);
        decision = ticket.AsValueTask();
        if (lane.Queue.Writer.TryWrite(ticket)) return true;
        ticket.ReturnUnused();
        decision = default;
        return false;
    }

    /// <summary>Purchases waiting for the gate in this process.</summary>
    public int QueueDepth(long saleId) => _lanes.TryGetValue(saleId, out var lane) ? lane.Queue.Reader.Count : 0;

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

                await DecideAsync(lane, requests.AsMemory(0, count), decisions.AsMemory(0, count), stopping).ConfigureAwait(false);
                for (var i = 0; i < count; i++)
                {
                    tickets[i].Complete(decisions[i]);
                    tickets[i] = null!;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        // Whoever is still queued at shutdown gets a clear "try again", never silence.
        while (reader.TryRead(out var left)) left.Complete(GateDecision.Unavailable);
    }

    private async Task DecideAsync(SaleLane lane, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken stopping)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.GateTimeout);
            await gate.DecideAsync(lane.SaleId, requests, decisions, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GateUnavailableException or OperationCanceledException or TimeoutException)
        {
            // Fail closed: the gate may or may not have decided; the caller retries with the same requestId.
            logger.LogWarning("Stock gate unavailable for sale {SaleId}: {Reason}", lane.SaleId, ex.Message);
            decisions.Span.Fill(GateDecision.Unavailable);
            return;
        }

        var span = decisions.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].Outcome == GateOutcome.SoldOut || (span[i].IsAccepted && span[i].Remaining == 0))
            {
                RaiseSoldOutFlag(lane);
                break;
            }
        }
    }

    /// <summary>
    /// The flag goes up only once the sale's winners are known here, so that a retry of an accepted request
    /// is still answered with its order; until then the gate keeps deciding.
    /// </summary>
    private void RaiseSoldOutFlag(SaleLane lane)
    {
        if (Interlocked.Exchange(ref lane.LoadingWinners, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                lane.Winners = await gate.GetAcceptedRequestsAsync(lane.SaleId, _stopping.Token).ConfigureAwait(false);
                lane.SoldOutUntil = time.GetTimestamp() + (long)(_options.SoldOutFlagTtl.TotalSeconds * time.TimestampFrequency);
            }
            catch (Exception ex) when (ex is GateUnavailableException or OperationCanceledException)
            {
                logger.LogDebug("Sold-out flag of sale {SaleId} not raised: {Reason}", lane.SaleId, ex.Message);
            }
            finally
            {
                Volatile.Write(ref lane.LoadingWinners, 0);
            }
        });
    }

    /// <summary>Forgets the sold-out flag (stock came back to the gate).</summary>
    public void ClearSoldOut(long saleId)
    {
        if (_lanes.TryGetValue(saleId, out var lane)) lane.SoldOutUntil = 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var lane in _lanes.Values) lane.Queue.Writer.TryComplete();
        _stopping.Dispose();
    }

    private sealed class SaleLane(long saleId, Channel<PurchaseTicket> queue)
    {
        public long SaleId { get; } = saleId;
        public Channel<PurchaseTicket> Queue { get; } = queue;
        public long SoldOutUntil;
        public int LoadingWinners;
        public volatile IReadOnlyDictionary<(string UserId, string RequestId), long>? Winners;
    }
}
