using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace FlashSale.Bench;

/// <summary>The sales the scenarios create through the admin API, and the waits for their start and end.</summary>
internal static class BenchSales
{
    public static async Task<string> CreateAsync(HttpClient http, string name, string productId, int stock, int perUserLimit, DateTimeOffset startsAt, DateTimeOffset endsAt)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/admin/sales")
        {
            Content = JsonContent.Create(new { name, productId, price = 1999, stock, perUserLimit, startsAt, endsAt }),
        };
        create.Headers.Add("X-Admin-Key", BenchEnvironment.AdminKey);
        using var created = await http.SendAsync(create);
        created.EnsureSuccessStatusCode();
        return JsonNode.Parse(await created.Content.ReadAsStringAsync())!["saleId"]!.GetValue<string>();
    }

    /// <summary>A bench sale starting <paramref name="lead"/> from now, for two hours; returns once it has started (50 ms past).</summary>
    public static async Task<string> StartedAsync(HttpClient http, string name, int stock, int perUserLimit, TimeSpan lead)
    {
        var startsAt = DateTimeOffset.UtcNow + lead;
        var saleId = await CreateAsync(http, name, "bench", stock, perUserLimit, startsAt, startsAt.AddHours(2));
        await DelayUntilAsync(startsAt.AddMilliseconds(50));
        return saleId;
    }

    public static async Task DelayUntilAsync(DateTimeOffset at)
    {
        var wait = at - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
    }
}
