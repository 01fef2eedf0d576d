using System.Diagnostics.Metrics;
using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Reconciliation;
using FlashSale.Core.Sales;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace FlashSale.Core.Telemetry;

/// <summary>What the sampled gauges show: read every <see cref="MetricsSampler"/> interval, never on a scrape.</summary>
public sealed record MetricsSample(
    IReadOnlyList<SaleSample> Sales, long? QueueDepth, long? DeadLetters, IReadOnlyList<KeyValuePair<string, bool>> Dependencies)
{
    public static readonly MetricsSample Empty = new([], null, null, []);
}

/// <summary>One sale as the gate and the database see it; null where that store could not be read.</summary>
public sealed record SaleSample(long SaleId, int Stock, long? GateLeft, long? GateSold, long? DatabaseLeft, long? DatabaseSold, long? Unrelayed);

/// <summary>
/// Reads, every <see cref="Interval"/>, what is too costly to count as it happens: each recent sale's stock in the gate
/// and in the database, the ledger's backlog, the queue and its dead letters, and whether each server answers. The
/// gauges (meters FlashSale.Sales, FlashSale.Pipeline, FlashSale.Dependencies) show the latest reading, so a scrape
/// asks no server anything. Every process samples on its own: dashboards take the max over processes.
/// </summary>
public sealed class MetricsSampler : RepeatingWorker
{
    /// <summary>Sales that ended longer ago than this are no longer sampled.</summary>
    public static readonly TimeSpan SalesEndedWithin = TimeSpan.FromHours(1);

    /// <summary>The most recent sales sampled (a bounded label set).</summary>
    public const int MaxSales = 50;

    private readonly IServiceProvider _services;
    private readonly ILogger<MetricsSampler> _logger;
    private volatile MetricsSample _latest = MetricsSample.Empty;
    private Sources? _sources;

    public MetricsSampler(IServiceProvider services, IMeterFactory meters, TimeSpan interval, ILogger<MetricsSampler> logger, TimeProvider? time = null)
        : base(time)
    {
        _services = services;
        _logger = logger;
        Interval = interval;
        var sales = meters.Create(FlashSaleMeters.Sales);
        sales.CreateObservableGauge("flashsale.sale.stock", () => Each(s => s.Stock), "{unit}", "The sale's stock");
        sales.CreateObservableGauge("flashsale.stock.left", () => ByStore(s => s.GateLeft, s => s.DatabaseLeft), "{unit}",
            "Units still for sale, as the gate and as the database see them");
        sales.CreateObservableGauge("flashsale.sold", () => ByStore(s => s.GateSold, s => s.DatabaseSold), "{unit}",
            "Units sold and not returned, as the gate and as the database count them; never above the sale's stock");
        var pipeline = meters.Create(FlashSaleMeters.Pipeline);
        pipeline.CreateObservableGauge("flashsale.ledger.unrelayed", () => Each(s => s.Unrelayed), "{intent}",
            "Intents in the ledger not yet handed to the queue");
        pipeline.CreateObservableGauge("flashsale.queue.depth", () => Single(_latest.QueueDepth), "{message}", "Order messages waiting in the queue");
        pipeline.CreateObservableGauge("flashsale.dead_letters", () => Single(_latest.DeadLetters), "{message}", "Order messages in the dead-letter queue");
        meters.Create(FlashSaleMeters.Dependencies).CreateObservableGauge("flashsale.dependency.up",
            () => _latest.Dependencies.Select(d => new Measurement<int>(d.Value ? 1 : 0, new KeyValuePair<string, object?>("dependency", d.Key))),
            description: "1 when the latest check of that server succeeded");
    }

    public TimeSpan Interval { get; }

    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await SampleAsync(stoppingToken).ConfigureAwait(false);
        return Pass.Done;
    }

    protected override TimeSpan Pause(int failures) => Interval;

    protected override void LogFailure(Exception exception, int failures)
    {
        // Whatever the failure, the gauges must not go on showing the last good reading as if it were now.
        _latest = new MetricsSample([], null, null, [.. _latest.Dependencies.Select(d => KeyValuePair.Create(d.Key, false))]);
        _logger.LogWarning(exception, "Metrics sampling failed ({Failures} in a row)", failures);
    }

    /// <summary>
    /// One reading, each read with a deadline of one <see cref="Interval"/>: a server that fails or hangs counts as
    /// down and its values are left out (a store that failed once is not asked again in the same pass), the others
    /// are still read. The dependencies are published first, so a slow store delays no news of an outage.
    /// </summary>
    public async Task<MetricsSample> SampleAsync(CancellationToken cancellationToken)
    {
        var sources = _sources ??= Sources.From(_services);
        var dependencies = await CheckDependenciesAsync(sources, cancellationToken).ConfigureAwait(false);
        _latest = _latest with { Dependencies = dependencies };
        var failed = new HashSet<string>(StringComparer.Ordinal);
        var queue = sources.Queue;
        var queueSnapshot = queue is null ? null : await ReadAsync("queue", failed, async ct => await queue.ReadAsync(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var sales = new List<SaleSample>();
        foreach (var saleId in await RecentSalesAsync(sources, failed, cancellationToken).ConfigureAwait(false))
        {
            var sample = await SampleSaleAsync(sources, saleId, failed, cancellationToken).ConfigureAwait(false);
            if (sample is not null) sales.Add(sample);
        }
        return _latest = new MetricsSample(sales, queueSnapshot?.Depth, queueSnapshot?.DeadLetters, dependencies);
    }

    private async Task<IReadOnlyList<long>> RecentSalesAsync(Sources sources, HashSet<string> failed, CancellationToken cancellationToken)
    {
        if (sources.Audit is not { } audit) return [];
        var ids = await ReadAsync("database", failed, ct => audit.SalesEndingAfterAsync(Time.GetUtcNow() - SalesEndedWithin, ct), cancellationToken).ConfigureAwait(false);
        return ids is null ? [] : ids.Count <= MaxSales ? ids : [.. ids.Order().TakeLast(MaxSales)];
    }

    private async Task<SaleSample?> SampleSaleAsync(Sources sources, long saleId, HashSet<string> failed, CancellationToken cancellationToken)
    {
        var (catalog, gate, store, ledger) = (sources.Catalog, sources.Gate, sources.Store, sources.Ledger);
        var sale = catalog is null ? null : await ReadAsync("database", failed, async ct => await catalog.FindAsync(saleId, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (sale is null) return null;
        var gateCounters = gate is null ? null : await ReadAsync("gate", failed, ct => gate.GetCountersAsync(saleId, ct), cancellationToken).ConfigureAwait(false);
        var db = store is null ? null : await ReadAsync("database", failed, ct => store.GetCountersAsync(saleId, ct), cancellationToken).ConfigureAwait(false);
        var unrelayed = ledger is null ? null : await ReadAsync<long?>("gate", failed, async ct => await ledger.CountUnrelayedAsync(saleId, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return new SaleSample(saleId, sale.Stock,
            gateCounters?.Remaining, gateCounters is null ? null : gateCounters.Accepted - gateCounters.Returned,
            db?.AvailableStock, db?.PersistedUnits, unrelayed);
    }

    /// <summary>Every check on its own, all at once, each with a deadline: one that fails, throws or is still running at the deadline is "down".</summary>
    private async Task<IReadOnlyList<KeyValuePair<string, bool>>> CheckDependenciesAsync(Sources sources, CancellationToken cancellationToken)
    {
        if (sources.Health is not { } health) return [];
        var up = await Task.WhenAll(sources.Checks.Select(name => CheckAsync(health, name, cancellationToken))).ConfigureAwait(false);
        return [.. sources.Checks.Select((name, i) => KeyValuePair.Create(name, up[i]))];
    }

    /// <summary>
    /// What is read, resolved once at the first pass (not in the constructor: hosted services are made before the start-up
    /// work runs); each is optional, as a process may lack it (embedded mode has no ledger).
    /// </summary>
    private sealed record Sources(
        IStoreAudit? Audit, SaleCatalog? Catalog, IStockGate? Gate, IFlashSaleStore? Store, IIntentLedger? Ledger, IQueueAudit? Queue,
        HealthCheckService? Health, string[] Checks)
    {
        public static Sources From(IServiceProvider services) => new(
            (IStoreAudit?)services.GetService(typeof(IStoreAudit)), (SaleCatalog?)services.GetService(typeof(SaleCatalog)),
            (IStockGate?)services.GetService(typeof(IStockGate)), (IFlashSaleStore?)services.GetService(typeof(IFlashSaleStore)),
            (IIntentLedger?)services.GetService(typeof(IIntentLedger)), (IQueueAudit?)services.GetService(typeof(IQueueAudit)),
            (HealthCheckService?)services.GetService(typeof(HealthCheckService)),
            services.GetService(typeof(Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>)) is Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions> options
                ? [.. options.Value.Registrations.Select(r => r.Name)]
                : []);
    }

    private async Task<bool> CheckAsync(HealthCheckService health, string name, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Interval);
        try
        {
            var report = await health.CheckHealthAsync(r => r.Name == name, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            return report.Status == HealthStatus.Healthy;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug(ex, "Metrics: the {Check} check did not pass within {Interval}", name, Interval);
            return false;
        }
    }

    /// <summary>One read of <paramref name="store"/> within one <see cref="Interval"/>; default when it fails, hangs or failed before in this pass.</summary>
    private async Task<T?> ReadAsync<T>(string store, HashSet<string> failed, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        if (failed.Contains(store)) return default;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Interval);
        try
        {
            return await read(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            failed.Add(store);
            _logger.LogDebug(ex, "Metrics: the {Store} could not be read", store);
            return default;
        }
    }

    private IEnumerable<Measurement<long>> Each(Func<SaleSample, long?> value)
    {
        foreach (var sale in _latest.Sales)
        {
            if (value(sale) is { } v) yield return new Measurement<long>(v, SaleTag(sale));
        }
    }

    private IEnumerable<Measurement<long>> ByStore(Func<SaleSample, long?> gate, Func<SaleSample, long?> database)
    {
        foreach (var sale in _latest.Sales)
        {
            if (gate(sale) is { } g) yield return new Measurement<long>(g, SaleTag(sale), new KeyValuePair<string, object?>("store", "gate"));
            if (database(sale) is { } d) yield return new Measurement<long>(d, SaleTag(sale), new KeyValuePair<string, object?>("store", "database"));
        }
    }

    private static IEnumerable<Measurement<long>> Single(long? value) => value is { } v ? [new Measurement<long>(v)] : [];

    private static KeyValuePair<string, object?> SaleTag(SaleSample sale) => new("sale", sale.SaleId.ToString(CultureInfo.InvariantCulture));
}
