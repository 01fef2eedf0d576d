using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Core.Storage;
using Npgsql;

namespace FlashSale.Bench.Baselines;

public enum DatabaseGateStrategy
{
    /// <summary>The classic version 1: SELECT ... FOR UPDATE, one transaction per purchase.</summary>
    Pessimistic,
    /// <summary>The classic version 2: read, then update where the version is unchanged; bounded retries with backoff.</summary>
    Optimistic,
    /// <summary>Read, check, write back without a guard: oversells under concurrency. For the audit's sake only.</summary>
    Naive,
}

/// <summary>
/// The database-only gates a flash sale usually starts from, behind the same HTTP API as the Redis gate, as
/// the benchmark's baselines (they live in the benchmark: a production server cannot be configured with them): each purchase is its own transaction on the sale's row, and the order is written in it
/// (there is no queue). The rules are <see cref="GateRules"/>, as everywhere.
/// </summary>
public sealed class PostgresDatabaseGate(NpgsqlDataSource dataSource, DatabaseGateStrategy strategy, TimeProvider time) : IStockGate
{
    private const int OptimisticAttempts = 10;
    private const string CheckViolation = "23514";
    private const string UniqueViolation = "23505";
    private const string RequestIndex = "orders_sale_user_request";
    private static readonly SqlScripts Sql = new(typeof(PostgresDatabaseGate).Assembly, "FlashSale.Bench.Baselines.Sql.");

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        // The baselines take purchases one transaction each, all at once, as a thread-per-request server would.
        var results = await Task.WhenAll(Enumerable.Range(0, requests.Length).Select(i => DecideOneAsync(saleId, requests.Span[i], cancellationToken))).ConfigureAwait(false);
        results.CopyTo(decisions);
    }

    private async Task<GateDecision> DecideOneAsync(long saleId, PurchaseRequest request, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var decision = await TryOnceAsync(saleId, request, cancellationToken).ConfigureAwait(false);
                if (decision is { } done) return done;
                if (attempt + 1 >= OptimisticAttempts) return new GateDecision(GateOutcome.Busy, 0, -1);
                await Task.Delay(Random.Shared.Next(1, 5 << Math.Min(attempt, 4)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            throw new GateUnavailableException($"PostgreSQL unavailable: {ex.Message}", ex);
        }
    }

    /// <summary>One transaction; null when it lost a race (an optimistic update, a retry's insert) and should be tried again.</summary>
    private async Task<GateDecision?> TryOnceAsync(long saleId, PurchaseRequest r, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long available, version;
        int limit;
        DateTime starts, ends;
        await using (var read = Command(connection, tx, strategy == DatabaseGateStrategy.Pessimistic ? "lock_sale.sql" : "read_sale.sql", saleId, r))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return new GateDecision(GateOutcome.UnknownSale, 0, -1);
            (available, version, limit, starts, ends) = (reader.GetInt32(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetDateTime(3), reader.GetDateTime(4));
        }
        // The earlier order is looked up after the sale's row is read: under its lock (pessimistic), or
        // before a version check that fails if a retry's order was committed since (optimistic). Should two
        // retries still race to the insert, orders_sale_user_request refuses the second one, which tries again.
        await using (var earlier = Command(connection, tx, "earlier_order.sql", saleId, r))
        {
            if (await earlier.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long orderId)
                return new GateDecision(GateOutcome.Replayed, orderId, -1);
        }
        long userTotal;
        await using (var total = Command(connection, tx, "user_total.sql", saleId, r))
        {
            userTotal = Convert.ToInt64(await total.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        var outcome = GateRules.Decide(time.GetUtcNow().ToUnixTimeMilliseconds(), new DateTimeOffset(starts, TimeSpan.Zero).ToUnixTimeMilliseconds(),
            new DateTimeOffset(ends, TimeSpan.Zero).ToUnixTimeMilliseconds(), limit, available, userTotal, r.Quantity);
        if (outcome != GateOutcome.Accepted) return new GateDecision(outcome, 0, available);
        // The naive version's "application logic" between its read and its write: the window in which
        // concurrent purchases read the same stock.
        if (strategy == DatabaseGateStrategy.Naive) await Task.Delay(5, cancellationToken).ConfigureAwait(false);

        await using (var deduct = Command(connection, tx, strategy switch
        {
            DatabaseGateStrategy.Pessimistic => "deduct_locked.sql",
            DatabaseGateStrategy.Optimistic => "deduct_if_version.sql",
            _ => "deduct_naive.sql",
        }, saleId, r))
        {
            deduct.Parameters.AddWithValue("version", version);
            deduct.Parameters.AddWithValue("new_available", (int)(available - r.Quantity));
            if (await deduct.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0) return null; // optimistic: lost the race
        }
        try
        {
            await using (var insert = Command(connection, tx, "insert_order.sql", saleId, r)) await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using (var add = Command(connection, tx, strategy == DatabaseGateStrategy.Naive ? "add_user_total_unchecked.sql" : "add_user_total.sql", saleId, r))
            {
                add.Parameters.AddWithValue("purchase_limit", limit);
                await add.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == CheckViolation)
        {
            // Two purchases of one user raced past the read; the database's CHECK refused the second.
            return new GateDecision(GateOutcome.LimitExceeded, 0, available);
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation && ex.ConstraintName == RequestIndex)
        {
            // A retry of this request was committed meanwhile: the next attempt answers with its order.
            return null;
        }
        return new GateDecision(GateOutcome.Accepted, r.CandidateOrderId, available - r.Quantity);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string file, long saleId, PurchaseRequest r)
    {
        var cmd = new NpgsqlCommand(Sql.Get(file), connection, tx);
        cmd.Parameters.AddWithValue("sale_id", saleId);
        cmd.Parameters.AddWithValue("user_id", r.UserId);
        cmd.Parameters.AddWithValue("request_id", r.RequestId);
        cmd.Parameters.AddWithValue("quantity", r.Quantity);
        cmd.Parameters.AddWithValue("order_id", r.CandidateOrderId);
        return cmd;
    }

    /// <summary>The database is this gate's only state: there is nothing to load.</summary>
    public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
        Task.FromResult(GateLoad.Held);

    public async Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Sql.Get("counters.sql"));
        cmd.Parameters.AddWithValue("sale_id", saleId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        var available = reader.GetInt32(0);
        return new GateSaleCounters(available, reader.GetInt32(1) - available, 0);
    }

    /// <summary>Orders are written by the gate itself: none is ever "queued".</summary>
    public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<OrderIntent?>(null);

    public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken) => Task.FromResult(false);

    public async Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Sql.Get("accepted_requests.sql"));
        cmd.Parameters.AddWithValue("sale_id", saleId);
        var accepted = new Dictionary<(string, string), long>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) accepted[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        return accepted;
    }
}
