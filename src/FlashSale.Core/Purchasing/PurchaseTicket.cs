using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// A pooled, awaitable slot for one purchase in the admission queue: the request goes in, the gate's
/// decision comes out. Pooling keeps the hot path free of per-request Task allocations.
/// </summary>
internal sealed class PurchaseTicket : IValueTaskSource<GateDecision>
{
    private static readonly ConcurrentQueue<PurchaseTicket> Pool = new();
    private const int MaxPooled = 16_384;
    private static int _pooled;

    private ManualResetValueTaskSourceCore<GateDecision> _core = new() { RunContinuationsAsynchronously = true };

    public PurchaseRequest Request { get; private set; }

    public static PurchaseTicket Rent(in PurchaseRequest request)
    {
        if (Pool.TryDequeue(out var ticket)) Interlocked.Decrement(ref _pooled);
        else ticket = new PurchaseTicket();
        ticket.Request = request;
        return ticket;
    }

    public ValueTask<GateDecision> AsValueTask() => new(this, _core.Version);

    public void Complete(GateDecision decision) => _core.SetResult(decision);

    public GateDecision GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            ReturnUnused();
        }
    }

    /// <summary>Back to the pool; for a ticket whose value task was never awaited, or after its result was read.</summary>
    public void ReturnUnused()
    {
        _core.Reset();
        Request = default;
        if (Interlocked.Increment(ref _pooled) <= MaxPooled) Pool.Enqueue(this);
        else Interlocked.Decrement(ref _pooled);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
