using System.Collections.Concurrent;
using FlashSale.Core.Telemetry;

namespace FlashSale.Core.Purchasing;

/// <summary>The funnel's layers, cheapest first: the order a purchase meets them.</summary>
public enum FunnelLayer
{
    GlobalRate,
    Blacklist,
    IpRate,
    UserRate,
    Risk,
    Token,
    SaleState,
    Admission,
    Gate,
}

/// <summary>
/// Per sale and layer: how many purchases arrived, passed and were stopped (by code). Each of the three
/// is counted where it happens, so "arrived = passed + stopped" is a real check, not arithmetic. Every stop and every
/// pass of the last layer is also a purchase answer in <see cref="PurchaseMetrics"/> (by code and layer, no sale).
/// </summary>
public sealed class FunnelCounters(PurchaseMetrics? metrics = null)
{
    public static readonly FunnelLayer[] Layers = Enum.GetValues<FunnelLayer>();
    private static readonly string Accepted = GateOutcomeCodes.Of(GateOutcome.Accepted);
    private readonly ConcurrentDictionary<long, SaleFunnel> _sales = new();

    public SaleFunnel For(long saleId) => _sales.GetOrAdd(saleId, static (_, metrics) => new SaleFunnel(metrics), metrics);

    /// <summary>Takes the counts gathered since the last call (for shipping to a shared store).</summary>
    public IEnumerable<(long SaleId, FunnelSnapshot Delta)> Drain()
    {
        foreach (var (saleId, funnel) in _sales)
        {
            var delta = funnel.Drain();
            if (!delta.IsEmpty) yield return (saleId, delta);
        }
    }

    public sealed class SaleFunnel(PurchaseMetrics? metrics = null)
    {
        private readonly long[] _arrived = new long[Layers.Length];
        private readonly long[] _passed = new long[Layers.Length];
        private readonly ConcurrentDictionary<(FunnelLayer, string), long> _stopped = new();
        private readonly long[] _drainedArrived = new long[Layers.Length];
        private readonly long[] _drainedPassed = new long[Layers.Length];
        private readonly ConcurrentDictionary<(FunnelLayer, string), long> _drainedStopped = new();
        private readonly Lock _drain = new();

        public void Arrived(FunnelLayer layer) => Interlocked.Increment(ref _arrived[(int)layer]);
        public void Passed(FunnelLayer layer)
        {
            Interlocked.Increment(ref _passed[(int)layer]);
            if (layer == FunnelLayer.Gate) metrics?.Answered(Accepted, FunnelNames.Of(layer));
        }

        public void Stopped(FunnelLayer layer, string code)
        {
            _stopped.AddOrUpdate((layer, code), 1, static (_, n) => n + 1);
            metrics?.Answered(code, FunnelNames.Of(layer));
        }

        public FunnelSnapshot Snapshot() => new(Copy(_arrived), Copy(_passed), new Dictionary<(FunnelLayer, string), long>(_stopped));

        internal FunnelSnapshot Drain()
        {
            lock (_drain)
            {
                var now = Snapshot();
                var delta = new FunnelSnapshot(
                    Subtract(now.Arrived, _drainedArrived), Subtract(now.Passed, _drainedPassed),
                    now.Stopped.ToDictionary(kv => kv.Key, kv => kv.Value - _drainedStopped.GetValueOrDefault(kv.Key)).Where(kv => kv.Value != 0).ToDictionary());
                Array.Copy(now.Arrived, _drainedArrived, Layers.Length);
                Array.Copy(now.Passed, _drainedPassed, Layers.Length);
                foreach (var (key, value) in now.Stopped) _drainedStopped[key] = value;
                return delta;
            }
        }

        private static long[] Copy(long[] source)
        {
            var copy = new long[source.Length];
            for (var i = 0; i < source.Length; i++) copy[i] = Interlocked.Read(ref source[i]);
            return copy;
        }
        private static long[] Subtract(long[] a, long[] b) => a.Zip(b, (x, y) => x - y).ToArray();
    }
}

/// <summary>Counts of one sale's funnel.</summary>
public sealed record FunnelSnapshot(long[] Arrived, long[] Passed, IReadOnlyDictionary<(FunnelLayer Layer, string Code), long> Stopped)
{
    public bool IsEmpty => Arrived.All(v => v == 0) && Passed.All(v => v == 0) && Stopped.Count == 0;

    public static FunnelSnapshot Empty => new(new long[FunnelCounters.Layers.Length], new long[FunnelCounters.Layers.Length], new Dictionary<(FunnelLayer, string), long>());

}

/// <summary>Where a process's funnel counts are added up across processes (Redis), or just kept (embedded).</summary>
public interface IFunnelStore
{
    Task AddAsync(long saleId, FunnelSnapshot delta, CancellationToken cancellationToken);
    Task<FunnelSnapshot> ReadAsync(long saleId, CancellationToken cancellationToken);
}

public static class FunnelNames
{
    /// <summary>snake_case names for the API and the stores: global_rate, blacklist, ip_rate, ...</summary>
    public static string Of(FunnelLayer layer) => layer switch
    {
        FunnelLayer.GlobalRate => "global_rate",
        FunnelLayer.Blacklist => "blacklist",
        FunnelLayer.IpRate => "ip_rate",
        FunnelLayer.UserRate => "user_rate",
        FunnelLayer.Risk => "risk",
        FunnelLayer.Token => "token",
        FunnelLayer.SaleState => "sale_state",
        FunnelLayer.Admission => "admission",
        _ => "gate",
    };
}
