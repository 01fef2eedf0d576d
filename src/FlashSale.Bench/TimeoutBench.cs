using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Core.Embedded;
using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Postgres;
using FlashSale.Redis;
using FlashSale.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Bench;

/// <summary>The timeout scenario's knobs: <see cref="Pending"/> pending orders, of which <see cref="Due"/> are past their deadline.</summary>
public sealed record TimeoutSettings(int Pending, int Due, string Mode, int Batch, int Probes, int WriteBatch, string OutputDirectory);

/// <summary>Milliseconds of a series of timed calls: how many, median, p99, max, total.</summary>
public sealed record Timings(int Count, double MedianMs, double P99Ms, double MaxMs, double TotalMs)
{
    public static Timings Of(IReadOnlyList<double> ms)
    {
        if (ms.Count == 0) return new Timings(0, 0, 0, 0, 0);
        var sorted = ms.Order().ToArray();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Timings(sorted.Length, Math.Round(At(50), 3), Math.Round(At(99), 3), Math.Round(sorted[^1], 3), Math.Round(sorted.Sum(), 1));
    }
}

/// <summary>
/// What the run left, read back from the store and the gate, against what it should be: every due order cancelled once,
/// no other; stock and the gate's remaining units equal to stock minus the units still pending. One unit per order.
/// </summary>
public sealed record TimeoutOutcome(
    long Stock, int Pending, int Due, int CancelledBySweep, int DistinctCancelled, int CancelledNotDue,
    long DbPendingOrders, long DbCancelledOrders, long DbAvailableStock, long? GateRemaining, long? GateReturnedUnits, int UnreturnedCancelled)
{
    /// <summary>What does not hold, one line each; empty when the run is correct.</summary>
    public IReadOnlyList<string> Failures()
    {
        var failures = new List<string>();
        var stillPending = Pending - Due;
        var expectedAvailable = Stock - stillPending;
        void Expect(bool holds, string what) { if (!holds) failures.Add(what); }
        Expect(CancelledBySweep == Due, $"the sweep cancelled {CancelledBySweep:N0} orders, {Due:N0} were due");
        Expect(DistinctCancelled == CancelledBySweep, $"{CancelledBySweep - DistinctCancelled:N0} orders were cancelled more than once");
        Expect(CancelledNotDue == 0, $"{CancelledNotDue:N0} orders not yet due were cancelled");
        Expect(DbCancelledOrders == Due, $"the database has {DbCancelledOrders:N0} cancelled orders, {Due:N0} expected");
        Expect(DbPendingOrders == stillPending, $"the database has {DbPendingOrders:N0} pending orders, {stillPending:N0} expected");
        Expect(DbAvailableStock == expectedAvailable, $"the database's available stock is {DbAvailableStock:N0}, stock − pending units = {expectedAvailable:N0}");
        Expect(GateRemaining == expectedAvailable, $"the gate's remaining stock is {GateRemaining?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown (the gate does not hold the sale)"}, stock − pending units = {expectedAvailable:N0}");
        Expect(GateReturnedUnits == Due, $"the gate took back {GateReturnedUnits?.ToString("N0", CultureInfo.InvariantCulture) ?? "no"} units, {Due:N0} were cancelled");
        Expect(UnreturnedCancelled == 0, $"{UnreturnedCancelled:N0} cancelled orders still owe their units to the gate");
        return failures;
    }
}

public sealed record TimeoutResult(
    TimeoutSettings Settings, string Commit, string Machine, string At, string LoadBefore, string LoadAfter, string StoreKind,
    double WriteSeconds, double GateLoadSeconds, Timings ProbeBefore, Timings ProbeAfter, string ProbePlan,
    double CancelSeconds, double OrdersPerSecond, double StoreOrdersPerSecond, Timings BatchTotal, Timings BatchStore, Timings BatchGate,
    TimeoutOutcome Outcome, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}

[JsonSerializable(typeof(TimeoutResult))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class TimeoutJson : JsonSerializerContext;

/// <summary>
/// The payment timeout at scale. Writes <see cref="TimeoutSettings.Pending"/> pending orders of one sale straight into the
/// store (its own WriteOrdersAsync, as the order writer does; embedded mode appends them to the gate's ledger first, as the
/// gate does), loads the sale into the gate, then measures (a) a sweep with nothing due (the due-index probe), and (b) the
/// production <see cref="OrderCancellation"/> with the real adapters cancelling every due order, batch by batch, database
/// and gate. Then it checks what the store and the gate hold.
/// </summary>
public static class TimeoutBench
{
    private const int PaymentTimeoutSeconds = 3_600;

    public static async Task<TimeoutResult> RunAsync(TimeoutSettings s, string commit)
    {
        var loadBefore = LoadAverage();
        await using var rig = s.Mode == "embedded" ? await Rig.EmbeddedAsync() : await Rig.DistributedAsync();
        var now = DateTimeOffset.UtcNow;
        var saleId = Random.Shared.NextInt64(1L << 40, 1L << 50);
        var firstOrder = saleId << 12;
        var sale = new Sale(saleId, "Timeout bench", "timeout", 10m, s.Pending, 1, now.AddHours(-3), now.AddDays(1), PaymentTimeoutSeconds);
        await rig.Store.CreateSaleAsync(sale, default);
        rig.SaleIds.Add(saleId);

        // Due orders were accepted two hours ago (deadline an hour ago), the rest just now (deadline in an hour); one
        // unit each, one user each, in the order they were accepted.
        var dueAcceptedMs = now.AddHours(-2).ToUnixTimeMilliseconds();
        var freshAcceptedMs = now.ToUnixTimeMilliseconds();
        OrderIntent Intent(int i) => new(firstOrder + i, saleId, "u" + i.ToString(CultureInfo.InvariantCulture), 1,
            "r" + i.ToString(CultureInfo.InvariantCulture), (i < s.Due ? dueAcceptedMs : freshAcceptedMs) + i % 1_000);
        Console.Error.WriteLine($"== timeout ({s.Mode}, {rig.StoreKind}): writing {s.Pending:N0} pending orders ({s.Due:N0} due) in batches of {s.WriteBatch:N0}");
        var clock = Stopwatch.StartNew();
        var progress = new Progress("written", s.Pending, clock);
        for (var from = 0; from < s.Pending; from += s.WriteBatch)
        {
            var batch = Enumerable.Range(from, Math.Min(s.WriteBatch, s.Pending - from)).Select(Intent).ToArray();
            if (rig.Ledger is { } ledger) await ledger.AppendAsync(batch, default);
            await rig.Store.WriteOrdersAsync(batch, default);
            progress.Report(from + batch.Length);
        }
        var writeSeconds = clock.Elapsed.TotalSeconds;
        await rig.AfterLoadAsync();

        clock.Restart();
        var load = await rig.Gate.LoadSaleAsync(saleId, ct => rig.Store.GetStockSnapshotAsync(saleId, ct), GateLoadMode.Normal, default);
        if (load is not (GateLoad.Loaded or GateLoad.Held)) throw new InvalidOperationException($"the gate did not load the sale: {load}");
        var gateLoadSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"== the gate holds the sale ({gateLoadSeconds:F1} s): {await rig.Gate.GetCountersAsync(saleId, default)}");

        // (a) A pass with nothing due: `now` before the earliest deadline.
        var beforeAnyDeadline = DateTimeOffset.FromUnixTimeMilliseconds(dueAcceptedMs).AddSeconds(PaymentTimeoutSeconds - 60);
        var probeBefore = await ProbeAsync(rig.Store, beforeAnyDeadline, s, "over every pending order, none due");
        var plan = await rig.PlanAsync(beforeAnyDeadline, s.Batch);

        // (b) The production cancellation, batch after batch until nothing is due.
        var observer = new BatchObserver();
        await using var admission = new PurchaseAdmission(rig.Gate, Options.Create(new AdmissionOptions()), TimeProvider.System, NullLogger<PurchaseAdmission>.Instance);
        var cancellation = new OrderCancellation(rig.Store, rig.Gate, admission, observer.Notifier(rig.Notifier), observer, NullLogger<OrderCancellation>.Instance);
        Console.Error.WriteLine($"== cancelling the {s.Due:N0} due orders, {s.Batch} per statement (OrderCancellation: database, then the gate's share of each order)");
        var (totals, stores, gates) = (new List<double>(), new List<double>(), new List<double>());
        progress = new Progress("cancelled", s.Due, clock);
        var cancelledCount = 0;
        clock.Restart();
        while (true)
        {
            observer.Start();
            var n = await cancellation.CancelDueAsync(s.Batch, default);
            if (n == 0) break;
            var (total, store) = observer.Stop();
            totals.Add(total);
            stores.Add(store);
            gates.Add(total - store);
            cancelledCount += n;
            progress.Report(cancelledCount);
        }
        var cancelSeconds = clock.Elapsed.TotalSeconds;
        var probeAfter = await ProbeAsync(rig.Store, DateTimeOffset.UtcNow, s, "after the sweep, the rest not yet due");

        var outcome = await OutcomeAsync(rig, sale, s, observer.Cancelled, firstOrder);
        var failures = outcome.Failures();
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}";
        return new TimeoutResult(s, commit, machine, DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture), loadBefore, LoadAverage(), rig.StoreKind,
            Math.Round(writeSeconds, 1), Math.Round(gateLoadSeconds, 1), probeBefore, probeAfter, plan,
            Math.Round(cancelSeconds, 2), Math.Round(cancelledCount / Math.Max(1e-9, cancelSeconds)), Math.Round(cancelledCount / Math.Max(1e-9, stores.Sum() / 1000)),
            Timings.Of(totals), Timings.Of(stores), Timings.Of(gates), outcome, failures);
    }

    private static async Task<Timings> ProbeAsync(IFlashSaleStore store, DateTimeOffset at, TimeoutSettings s, string what)
    {
        // The first passes (JIT, the connection pool, the plan cache) are not counted.
        const int WarmUp = 5;
        var ms = new List<double>(s.Probes);
        for (var i = -WarmUp; i < s.Probes; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var cancelled = await store.CancelDueAsync(at, s.Batch, default);
            if (i >= 0) ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (cancelled.Count > 0) throw new InvalidOperationException($"a probe at {at:u} cancelled {cancelled.Count} orders: they were due");
        }
        var timings = Timings.Of(ms);
        Console.Error.WriteLine(FormattableString.Invariant($"== probe {what}: {timings.Count} passes, median {timings.MedianMs:F3} ms, p99 {timings.P99Ms:F3} ms"));
        return timings;
    }

    private static async Task<TimeoutOutcome> OutcomeAsync(Rig rig, Sale sale, TimeoutSettings s, IReadOnlyList<long> cancelled, long firstOrder)
    {
        var counters = await rig.Store.GetCountersAsync(sale.Id, default);
        var gate = await rig.Gate.GetCountersAsync(sale.Id, default);
        var unreturned = await rig.Store.GetUnreturnedCancelledOrdersAsync(0, 1_000, default);
        return new TimeoutOutcome(sale.Stock, s.Pending, s.Due, cancelled.Count, cancelled.Distinct().Count(),
            cancelled.Count(id => id < firstOrder || id >= firstOrder + s.Due),
            counters.OrdersByStatus.GetValueOrDefault(OrderStatus.PendingPayment), counters.OrdersByStatus.GetValueOrDefault(OrderStatus.Cancelled),
            counters.AvailableStock, gate?.Remaining, gate?.Returned, unreturned.Count(o => o.SaleId == sale.Id));
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Prints a line every tenth of the way.</summary>
    private sealed class Progress(string verb, int total, Stopwatch clock)
    {
        private int _nextTenth = 1;

        public void Report(int done)
        {
            if (done < (long)total * _nextTenth / 10 && done < total) return;
            while (_nextTenth <= 10 && done >= (long)total * _nextTenth / 10) _nextTenth++;
            Console.Error.WriteLine(FormattableString.Invariant($"  {done,12:N0} of {total:N0} {verb} ({100.0 * done / Math.Max(1, total),3:F0} %), {clock.Elapsed.TotalSeconds,6:F1} s, {done / Math.Max(1e-9, clock.Elapsed.TotalSeconds),8:N0}/s"));
        }
    }

    /// <summary>
    /// Times each <see cref="OrderCancellation.CancelDueAsync"/> batch from the outside, without changing it: the cancellation
    /// reads the clock once, right before the store's statement, and publishes each cancelled order right after it, before
    /// the gate's share. So clock read → first publish is the database's part, first publish → return the gate's.
    /// </summary>
    private sealed class BatchObserver : TimeProvider
    {
        private long _started, _clockRead, _firstPublish;
        public List<long> Cancelled { get; } = [];

        public void Start() => (_started, _clockRead, _firstPublish) = (Stopwatch.GetTimestamp(), 0, 0);

        public (double TotalMs, double StoreMs) Stop()
        {
            var end = Stopwatch.GetTimestamp();
            return (Stopwatch.GetElapsedTime(_started, end).TotalMilliseconds, Stopwatch.GetElapsedTime(_clockRead == 0 ? _started : _clockRead, _firstPublish == 0 ? end : _firstPublish).TotalMilliseconds);
        }

        public override DateTimeOffset GetUtcNow()
        {
            _clockRead = Stopwatch.GetTimestamp();
            return base.GetUtcNow();
        }

        public IOrderNotifier Notifier(IOrderNotifier inner) => new Observing(this, inner);

        private sealed class Observing(BatchObserver owner, IOrderNotifier inner) : IOrderNotifier
        {
            public ValueTask PublishAsync(OrderChanged change, CancellationToken cancellationToken)
            {
                if (owner._firstPublish == 0) owner._firstPublish = Stopwatch.GetTimestamp();
                owner.Cancelled.Add(change.OrderId);
                return inner.PublishAsync(change, cancellationToken);
            }
        }
    }

    /// <summary>The real adapters of one mode, on a database of this run's own (dropped at the end; two runs never share one).</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public required IFlashSaleStore Store { get; init; }
        public required IStockGate Gate { get; init; }
        public required string StoreKind { get; init; }
        /// <summary>The mode's live signal, as the server registers it: in-process (embedded) or Redis pub/sub (distributed).</summary>
        public required IOrderNotifier Notifier { get; init; }
        public IInProcessLedger? Ledger { get; init; }
        private Func<Task> _after = () => Task.CompletedTask;
        private Func<DateTimeOffset, int, Task<string>> _plan = (_, _) => Task.FromResult("");
        private Func<ValueTask> _dispose = () => ValueTask.CompletedTask;

        public Task AfterLoadAsync() => _after();

        /// <summary>The database's plan for the sweep's statement at <paramref name="at"/>.</summary>
        public Task<string> PlanAsync(DateTimeOffset at, int limit) => _plan(at, limit);

        public ValueTask DisposeAsync() => _dispose();

        public static Task<Rig> EmbeddedAsync()
        {
            var dir = Directory.CreateTempSubdirectory("flashsale-timeout-").FullName;
            var database = new SqliteDatabase(Path.Combine(dir, "timeout.db"));
            database.Open();
            var store = new SqliteFlashSaleStore(database, TimeProvider.System);
            var ledger = new SqliteInProcessLedger(database);
            var gate = new InProcessStockGate(store, ledger, new InProcessOrderQueue(), TimeProvider.System);
            return Task.FromResult(new Rig
            {
                Store = store, Gate = gate, Ledger = ledger, StoreKind = "SQLite", Notifier = new InProcessOrderNotifier(),
                _plan = (at, limit) => Task.FromResult(SqlitePlan(database, at, limit)),
                _dispose = () =>
                {
                    gate.Dispose();
                    database.Dispose();
                    Directory.Delete(dir, recursive: true);
                    return ValueTask.CompletedTask;
                },
            });
        }

        public static async Task<Rig> DistributedAsync()
        {
            var services = BenchEnvironment.StartServices();
            var given = new NpgsqlConnectionStringBuilder(services["ConnectionStrings__Postgres"]);
            var own = new NpgsqlConnectionStringBuilder(given.ConnectionString) { Database = "flashsale_timeout_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) };
            await AdminAsync(given, $"DROP DATABASE IF EXISTS {own.Database} WITH (FORCE)", $"CREATE DATABASE {own.Database}");
            var dataSource = NpgsqlDataSource.Create(own.ConnectionString);
            var store = new PostgresFlashSaleStore(dataSource, NullLogger<PostgresFlashSaleStore>.Instance);
            await store.MigrateAsync(default);
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(services["ConnectionStrings__Redis"]);
            // A million orders take longer to load into Redis than the default rebuild lease (60 s) on this machine: the
            // bench allows ten minutes (the largest the options accept) and reports the time the load took.
            var gate = new RedisStockGate(new RedisConnection(multiplexer), new RedisGateOptions { RebuildLease = TimeSpan.FromMinutes(10) });
            Rig? rig = null;
            rig = new Rig
            {
                Store = store, Gate = gate, StoreKind = "PostgreSQL, Redis gate",
                Notifier = new RedisOrderNotifier(multiplexer, new InProcessOrderNotifier(), TimeProvider.System, NullLogger<RedisOrderNotifier>.Instance),
                // A million rows written at once: the statistics autovacuum would gather, gathered now, so that the plan
                // measured is the one a live table has and autovacuum does not start in the middle of a measurement.
                _after = async () =>
                {
                    await using var analyze = dataSource.CreateCommand("VACUUM ANALYZE orders");
                    analyze.CommandTimeout = 0;
                    await analyze.ExecuteNonQueryAsync();
                },
                _plan = (at, limit) => PostgresPlanAsync(dataSource, at, limit),
                _dispose = async () =>
                {
                    foreach (var saleId in rig!.SaleIds)
                    {
                        var keys = RedisKeys.For(saleId);
                        await multiplexer.GetDatabase().KeyDeleteAsync([.. RedisKeys.SaleKeys.Suffixes.Select(x => (RedisKey)(keys.Prefix + x))]);
                        await multiplexer.GetDatabase().SetRemoveAsync(RedisKeys.WatchedSales, saleId);
                    }
                    await multiplexer.CloseAsync();
                    multiplexer.Dispose();
                    await dataSource.DisposeAsync();
                    NpgsqlConnection.ClearAllPools();
                    await AdminAsync(given, $"DROP DATABASE IF EXISTS {own.Database} WITH (FORCE)");
                },
            };
            return rig;
        }

        /// <summary>Sales whose gate keys are removed at the end (distributed).</summary>
        public List<long> SaleIds { get; } = [];

        private static async Task AdminAsync(NpgsqlConnectionStringBuilder given, params string[] statements)
        {
            await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(given.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
            foreach (var sql in statements)
            {
                await using var cmd = admin.CreateCommand(sql);
                await cmd.ExecuteNonQueryAsync();
            }
        }

        private static async Task<string> PostgresPlanAsync(NpgsqlDataSource dataSource, DateTimeOffset at, int limit)
        {
            // The sweep's own statement, executed under EXPLAIN ANALYZE with nothing due (it changes nothing) and rolled back.
            var sql = File.ReadAllText(Path.Combine(BenchEnvironment.RepositoryRoot, "src", "FlashSale.Postgres", "Sql", "cancel_due.sql"));
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await using var cmd = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, connection, tx);
            cmd.Parameters.AddWithValue("now", at.UtcDateTime);
            cmd.Parameters.AddWithValue("limit", limit);
            var lines = new StringBuilder();
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync()) lines.AppendLine(reader.GetString(0));
            }
            await tx.RollbackAsync();
            return lines.ToString();
        }

        private static string SqlitePlan(SqliteDatabase database, DateTimeOffset at, int limit)
        {
            var sql = File.ReadAllText(Path.Combine(BenchEnvironment.RepositoryRoot, "src", "FlashSale.Sqlite", "Sql", "cancel_due.sql"));
            using var connection = database.Connect();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
            cmd.Parameters.AddWithValue("@now_ms", at.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("@limit", limit);
            var lines = new StringBuilder();
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) lines.AppendLine(reader.GetString(3));
            return lines.ToString();
        }
    }

    public static string Json(TimeoutResult result) => JsonSerializer.Serialize(result, TimeoutJson.Default.TimeoutResult);

    /// <summary>The run as a short markdown report.</summary>
    public static string Markdown(TimeoutResult r)
    {
        var s = r.Settings;
        var md = new StringBuilder();
        string F(double v, string format = "N0") => v.ToString(format, CultureInfo.InvariantCulture);
        md.AppendLine(CultureInfo.InvariantCulture, $"# Payment timeout, {s.Mode} ({r.StoreKind})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Commit `{r.Commit}`, {r.Machine}, {r.At}; load average {r.LoadBefore} before, {r.LoadAfter} after.");
        md.AppendLine(CultureInfo.InvariantCulture, $"{F(s.Pending)} pending orders of one sale (one unit, one user each), {F(s.Due)} of them past their deadline; batches of {s.Batch}.");
        md.AppendLine();
        md.AppendLine("| measure | figure |");
        md.AppendLine("|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| orders written (store's WriteOrdersAsync, {F(s.WriteBatch)} per call) | {F(r.WriteSeconds, "F1")} s, {F(s.Pending / Math.Max(1e-9, r.WriteSeconds))}/s |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| gate loaded with the sale | {F(r.GateLoadSeconds, "F1")} s |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| a pass with nothing due, over {F(s.Pending)} pending ({r.ProbeBefore.Count} passes) | median {F(r.ProbeBefore.MedianMs, "F3")} ms, p99 {F(r.ProbeBefore.P99Ms, "F3")} ms, max {F(r.ProbeBefore.MaxMs, "F2")} ms |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| the same after the sweep, over {F(s.Pending - s.Due)} pending ({r.ProbeAfter.Count} passes) | median {F(r.ProbeAfter.MedianMs, "F3")} ms, p99 {F(r.ProbeAfter.P99Ms, "F3")} ms |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| {F(s.Due)} due orders cancelled, database and gate (OrderCancellation) | {F(r.CancelSeconds, "F2")} s, **{F(r.OrdersPerSecond)} orders/s** |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| the database's statements alone | {F(r.BatchStore.TotalMs / 1000, "F2")} s, {F(r.StoreOrdersPerSecond)} orders/s |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| per batch, whole ({r.BatchTotal.Count} batches) | median {F(r.BatchTotal.MedianMs, "F1")} ms, p99 {F(r.BatchTotal.P99Ms, "F1")} ms |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| per batch, database statement | median {F(r.BatchStore.MedianMs, "F1")} ms, p99 {F(r.BatchStore.P99Ms, "F1")} ms |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| per batch, gate's share (return to the gate + stock_returned_at, each order at once) | median {F(r.BatchGate.MedianMs, "F1")} ms, p99 {F(r.BatchGate.P99Ms, "F1")} ms |");
        md.AppendLine();
        md.AppendLine(r.Passed ? "**Check: ok** — every due order cancelled once, none other; database and gate stock = stock − pending units." : "**Check: FAILED**");
        foreach (var failure in r.Failures) md.AppendLine(CultureInfo.InvariantCulture, $"- {failure}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Outcome: `{r.Outcome}`");
        md.AppendLine();
        md.AppendLine("The sweep's plan with nothing due:");
        md.AppendLine();
        md.AppendLine("```");
        md.Append(r.ProbePlan);
        md.AppendLine("```");
        return md.ToString();
    }
}
