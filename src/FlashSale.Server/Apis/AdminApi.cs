using System.ComponentModel.DataAnnotations;
using FlashSale.Core.Gateway;
using FlashSale.Core.Ids;
using FlashSale.Server.Hosting;

namespace FlashSale.Server.Apis;

public static class AdminApi
{
    public const string AdminKeyHeader = "X-Admin-Key";

    /// <summary>The admin group's refusals (<see cref="RequireAdminKey"/>).</summary>
    internal static readonly ProblemResult[] KeyProblems = [Problems.AdminKeyMissing, Problems.AdminKeyWrong, Problems.Throttled];

    /// <summary>The admin group's filter: the right X-Admin-Key, or 401, 403, and 429 after repeated wrong keys (<see cref="AdminGuard"/>).</summary>
    public static ValueTask<object?> RequireAdminKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        AdmitOrRefuse(context.HttpContext.RequestServices.GetRequiredService<AdminGuard>().Check(context.HttpContext, out var retryAfter), retryAfter, context, next);

    /// <summary>An admin filter's answer to a key check: on to the endpoint, or 401, 403, or 429 with when to come back.</summary>
    internal static ValueTask<object?> AdmitOrRefuse(AdminGuard.Verdict verdict, TimeSpan retryAfter, EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        verdict switch
        {
            AdminGuard.Verdict.Admin => next(context),
            AdminGuard.Verdict.Missing => ValueTask.FromResult<object?>(Problems.AdminKeyMissing),
            AdminGuard.Verdict.Wrong => ValueTask.FromResult<object?>(Problems.AdminKeyWrong),
            _ => ValueTask.FromResult<object?>(Problems.ForRefusal(new PurchaseRefusal(PurchaseGateway.Throttled, retryAfter))),
        };

    /// <summary>Whether the request carries the right admin key, for a read that shows admins more (a wrong key counts as in the admin group).</summary>
    public static bool IsAdmin(HttpContext context) => context.RequestServices.GetRequiredService<AdminGuard>().IsAdmin(context);

    internal static async Task<Results<Created<SaleResponse>, ProblemResult>> CreateSaleAsync(
        HttpContext context, IFlashSaleStore store, GateLoader loader, SaleCatalog catalog, SnowflakeIdGenerator ids, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, AdminJson.Default.CreateSaleRequest);
        if (problem is not null) return problem;
        if (body!.Name is null || body.ProductId is null || body.Price is null || body.Stock is null || body.PerUserLimit is null
            || body.StartsAt is null || body.EndsAt is null)
        {
            return Problems.InvalidRequest("name, productId, price, stock, perUserLimit, startsAt and endsAt are required.");
        }
        var sale = new Sale(ids.NextId(), body.Name, body.ProductId, body.Price.Value, body.Stock.Value, body.PerUserLimit.Value,
            body.StartsAt.Value, body.EndsAt.Value, body.PaymentTimeoutSeconds ?? 900, body.GatewayRules);
        if (NewSaleValidator.Validate(sale) is { } invalid) return Problems.InvalidRequest(invalid);

        await store.CreateSaleAsync(sale, context.RequestAborted);
        catalog.Remember(sale);
        try
        {
            // The gate is preheated before the sale is announced; should Redis be down, the first purchase preheats it.
            await loader.LoadAsync(sale.Id, GateLoadMode.Normal, context.RequestAborted);
        }
        catch (GateUnavailableException)
        {
            return Problems.Unavailable;
        }
        var state = sale.WindowAt(time.GetUtcNow()) == SaleWindow.Upcoming ? "upcoming" : "active";
        return TypedResults.Created($"/api/sales/{ApiId.Of(sale.Id)}", SaleResponse.From(sale, state, sale.Stock, allRules: true));
    }

    /// <summary>How many purchases each layer let through and stopped, summed over every API process.</summary>
    internal static async Task<Results<Ok<FunnelResponse>, ProblemResult>> GetFunnelAsync(
        string saleId, SaleCatalog catalog, IFunnelStore funnels, CancellationToken cancellationToken)
    {
        if (!long.TryParse(saleId, out var id) || await catalog.FindAsync(id, cancellationToken) is null) return Problems.SaleNotFound;
        var funnel = await funnels.ReadAsync(id, cancellationToken);
        var layers = FunnelCounters.Layers.Select(layer => new FunnelLayerResponse(
            FunnelNames.Of(layer), funnel.Arrived[(int)layer], funnel.Passed[(int)layer],
            funnel.Stopped.Where(s => s.Key.Layer == layer).Sum(s => s.Value),
            funnel.Stopped.Where(s => s.Key.Layer == layer).ToDictionary(s => s.Key.Code, s => s.Value))).ToArray();
        return TypedResults.Ok(new FunnelResponse(ApiId.Of(id), layers));
    }

    internal static async Task<Results<Ok<SaleStatsResponse>, ProblemResult>> GetStatsAsync(
        string saleId, SaleCatalog catalog, IStockGate gate, IFlashSaleStore store, PurchaseAdmission admission, CancellationToken cancellationToken)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.SaleNotFound;
        var sale = await catalog.FindAsync(id, cancellationToken);
        if (sale is null) return Problems.SaleNotFound;
        GateSaleCounters? gateCounters;
        try
        {
            gateCounters = await gate.GetCountersAsync(id, cancellationToken);
        }
        catch (GateUnavailableException)
        {
            return Problems.Unavailable;
        }
        var db = await store.GetCountersAsync(id, cancellationToken);
        var accepted = gateCounters is null ? 0 : gateCounters.Accepted - gateCounters.Returned;
        return TypedResults.Ok(new SaleStatsResponse(ApiId.Of(id), sale.Stock, accepted, db.PersistedUnits,
            gateCounters?.Returned ?? 0, gateCounters?.Remaining ?? -1, db.AvailableStock,
            OrderLifecycle.Statuses.ToDictionary(s => s, s => db.OrdersByStatus.GetValueOrDefault(s)), db.OrdersByRefund, admission.QueueDepth(id),
            db.FirstAcceptedAt, db.LastPersistedAt));
    }
}

/// <remarks>Nullable, so that a missing member is the handler's 400 with its own detail; [Required] tells the API description.</remarks>
public sealed record CreateSaleRequest(
    [property: Required] string? Name, [property: Required] string? ProductId, [property: Required] decimal? Price, [property: Required] int? Stock,
    [property: Required] int? PerUserLimit, [property: Required] DateTimeOffset? StartsAt, [property: Required] DateTimeOffset? EndsAt,
    int? PaymentTimeoutSeconds, SaleGatewayRules? GatewayRules);

/// <param name="Accepted">Units the gate holds for live orders (accepted, minus those failed or cancelled orders gave back).</param>
/// <param name="Persisted">Units of the database's live orders (pending payment or paid).</param>
/// <param name="Returned">Units failed and cancelled orders gave back to the gate (they may have sold again).</param>
/// <param name="OrdersByStatus">The database's orders, every status (queued ones are not in the database yet: 0).</param>
/// <param name="OrdersByRefund">Orders with money owed back, by refund status.</param>
/// <param name="AdmissionQueueDepth">Purchases waiting for the gate in the process that answered.</param>
public sealed record SaleStatsResponse(
    string SaleId, int Stock, long Accepted, long Persisted, long Returned, long RemainingInGate, long RemainingInDb,
    IReadOnlyDictionary<string, long> OrdersByStatus, IReadOnlyDictionary<string, long> OrdersByRefund,
    int AdmissionQueueDepth, DateTimeOffset? FirstAcceptedAt, DateTimeOffset? LastPersistedAt);

public sealed record FunnelLayerResponse(string Layer, long Arrived, long Passed, long Stopped, IReadOnlyDictionary<string, long> StoppedBy);

public sealed record FunnelResponse(string SaleId, IReadOnlyList<FunnelLayerResponse> Layers);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateSaleRequest))]
[JsonSerializable(typeof(SaleStatsResponse))]
[JsonSerializable(typeof(FunnelResponse))]
public sealed partial class AdminJson : JsonSerializerContext;
