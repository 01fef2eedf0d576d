using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FlashSale.Bench;

/// <summary>The correctness audit after a run, read from the API. All three counts must be zero.</summary>
public sealed record AuditResult(long Stock, long AcceptedUnits, long PersistedUnits, long OversoldUnits, long UsersOverLimit, long AcceptedWithoutOrder, TimeSpan DrainTime)
{
    public bool Passed => OversoldUnits == 0 && UsersOverLimit == 0 && AcceptedWithoutOrder == 0;

    /// <summary>The audit's rules on what was observed; separate from the HTTP reads so that a test can feed it a bad sale.</summary>
    public static AuditResult Judge(long stock, int perUserLimit, IReadOnlyCollection<(int User, int Quantity, string OrderId)> accepted,
        long persistedUnits, IReadOnlySet<string> ordersFound, TimeSpan drainTime)
    {
        var acceptedUnits = accepted.Sum(a => (long)a.Quantity);
        var oversold = Math.Max(0, Math.Max(acceptedUnits, persistedUnits) - stock);
        var overLimit = accepted.GroupBy(a => a.User).Count(g => g.Sum(a => a.Quantity) > perUserLimit);
        var missing = accepted.Count(a => !ordersFound.Contains(a.OrderId));
        return new AuditResult(stock, acceptedUnits, persistedUnits, oversold, overLimit, missing, drainTime);
    }
}

public static class Auditor
{
    /// <summary>Waits for the pipeline to drain, then checks every 202 against its order through the API.</summary>
    public static async Task<AuditResult> RunAsync(HttpClient http, string saleId, long stock, int perUserLimit, LoadResult load, string[] tokens, TimeSpan? timeout = null)
    {
        var drain = System.Diagnostics.Stopwatch.StartNew();
        JsonObject stats;
        var (lastPersisted, stableSince) = (-1L, TimeSpan.Zero);
        while (true)
        {
            stats = await StatsAsync(http, saleId);
            var persisted = stats["persisted"]!.GetValue<long>();
            if (stats["accepted"]!.GetValue<long>() == persisted || drain.Elapsed > (timeout ?? TimeSpan.FromMinutes(3))) break;
            // A gate whose count never matches the database (a broken one) must not hold the audit for minutes:
            // once nothing has been written for five seconds, the audit judges what is there.
            if (persisted != lastPersisted) (lastPersisted, stableSince) = (persisted, drain.Elapsed);
            else if (drain.Elapsed - stableSince > TimeSpan.FromSeconds(5)) break;
            await Task.Delay(100);
        }
        var drainTime = drain.Elapsed;

        var found = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        await Parallel.ForEachAsync(load.Accepted, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (a, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/orders/{a.OrderId}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[a.User]);
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode) return;
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["status"]?.GetValue<string>();
            if (status is "pending_payment" or "paid") found[a.OrderId] = true;
        });
        return AuditResult.Judge(stock, perUserLimit, load.Accepted, stats["persisted"]!.GetValue<long>(), found.Keys.ToHashSet(), drainTime);
    }

    public static async Task<JsonObject> StatsAsync(HttpClient http, string saleId) => await AdminGetAsync(http, $"api/admin/sales/{saleId}/stats");

    public static async Task<JsonObject> AdminGetAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Admin-Key", BenchEnvironment.AdminKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }
}
