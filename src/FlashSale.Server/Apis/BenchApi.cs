using System.Security.Cryptography;
using System.Text;
using FlashSale.Core.Purchasing;
using FlashSale.Server.Hosting;
using FlashSale.Server.Http;

namespace FlashSale.Server.Apis;

/// <summary>
/// POST /api/bench/echo: the benchmark's HTTP ceiling. It does what every purchase does before the funnel
/// (authenticate, read and validate the JSON body, answer 202 with a small JSON body) and nothing else,
/// so purchase throughput divided by echo throughput is the share the funnel and the gate leave.
/// GET /api/bench/memory (admin key): the process's managed heap and its live admission lanes, for the soak
/// scenario; with ?collect=true a full blocking, compacting collection runs first, so the heap is what is retained.
/// Mapped only with FlashSale:BenchEndpoints=true.
/// </summary>
public static class BenchApi
{
    private static readonly byte[] Echo = System.Text.Encoding.UTF8.GetBytes("{\"orderId\":\"0\",\"status\":\"queued\"}");

    public static IEndpointRouteBuilder MapBenchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/bench/echo", async (HttpContext context) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(context.Request, AppJsonContext.Default.PurchaseRequestBody);
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
        }).RequireAuthorization();
        app.MapGet("/api/bench/memory", async (HttpContext context, PurchaseAdmission admission, FlashSaleSettings settings) =>
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers[AdminApi.AdminKeyHeader].ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(settings.AdminKey)))
            {
                await Problems.AdminKeyWrong.ExecuteAsync(context);
                return;
            }
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
        });
        return app;
    }
}
