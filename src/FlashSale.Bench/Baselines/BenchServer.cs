using System.Text;
using FlashSale.Core.Purchasing;
using FlashSale.Server.Apis;
using FlashSale.Server.Hosting;
using FlashSale.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Bench.Baselines;

/// <summary>
/// <c>bench serve</c>: the FlashSale server as it ships, plus what only the benchmark needs, so none of it is in
/// the production binary:
/// <list type="bullet">
/// <item>FlashSale:Bench:Gate = database-pessimistic | database-optimistic | database-naive: a baseline gate in place
/// of Redis (distributed mode); database-naive oversells on purpose, to show the audit at work.</item>
/// <item>POST /api/bench/echo, the soak's warm-up: what every purchase does before the funnel (authenticate, read and
/// validate the JSON body, answer 202 with a small JSON body) and nothing else. Not a ceiling: compare's HTTP ceiling is
/// the bare framework in a process of its own (src/FlashSale.Bench.Bare).</item>
/// <item>GET /api/bench/memory (admin key): the managed heap and live admission lanes, for the soak; with
/// ?collect=true a full blocking, compacting collection runs first, so the heap is what is retained.</item>
/// </list>
/// </summary>
public sealed class BenchServer : IFlashSaleExtension
{
    public const string Command = "serve";
    public const string GateKey = "FlashSale:Bench:Gate";
    private static readonly byte[] Echo = Encoding.UTF8.GetBytes("{\"orderId\":\"0\",\"status\":\"queued\"}");

    public void AddServices(WebApplicationBuilder builder)
    {
        var gate = builder.Configuration[GateKey];
        if (string.IsNullOrEmpty(gate) || gate == "redis") return;
        var strategy = gate switch
        {
            "database-pessimistic" => DatabaseGateStrategy.Pessimistic,
            "database-optimistic" => DatabaseGateStrategy.Optimistic,
            "database-naive" => DatabaseGateStrategy.Naive,
            _ => throw new OptionsValidationException(GateKey, typeof(string),
                [$"{GateKey} '{gate}' is unknown; use redis, database-pessimistic, database-optimistic or database-naive."]),
        };
        builder.Services.Replace(ServiceDescriptor.Singleton<IStockGate>(sp =>
            new PostgresDatabaseGate(sp.GetRequiredService<NpgsqlDataSource>(), strategy, sp.GetRequiredService<TimeProvider>())));
    }

    public void MapEndpoints(WebApplication app)
    {
        app.MapPost("/api/bench/echo", EchoAsync).RequireAuthorization();
        app.MapGet("/api/bench/memory", MemoryAsync).AddEndpointFilter(AdminApi.RequireAdminKey);
    }

    private static async Task EchoAsync(HttpContext context)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, PurchaseJson.Default.PurchaseRequestBody);
        if (problem is not null || body!.Quantity is null || string.IsNullOrEmpty(body.RequestId))
        {
            await (problem ?? Problems.InvalidRequest("quantity and requestId are required.")).ExecuteAsync(context);
            return;
        }
        // A fixed, pre-encoded answer: the cheapest 202 this server can give.
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Echo.Length;
        await context.Response.Body.WriteAsync(Echo);
    }

    private static async Task MemoryAsync(HttpContext context, PurchaseAdmission admission)
    {
        if (context.Request.Query["collect"] == "true")
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        var info = GC.GetGCMemoryInfo();
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(FormattableString.Invariant(
            $"{{\"heapBytes\":{GC.GetTotalMemory(false)},\"committedBytes\":{info.TotalCommittedBytes},\"gen2Collections\":{GC.CollectionCount(2)},\"lanes\":{admission.LaneCount}}}"));
    }
}
