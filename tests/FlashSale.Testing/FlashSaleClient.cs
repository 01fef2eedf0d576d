using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlashSale.Testing;

/// <summary>The HTTP API as a test drives it.</summary>
public sealed class FlashSaleClient(HttpClient http)
{
    public HttpClient Http => http;

    public static FlashSaleClient For(ServerProcess server, int maxConnections = 256) => new(new HttpClient(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) });

    public async Task<string> CreateSaleAsync(int stock, int perUserLimit, TimeSpan? startsIn = null, TimeSpan? lasts = null, object? gatewayRules = null,
        int? paymentTimeoutSeconds = null)
    {
        var startsAt = DateTimeOffset.UtcNow + (startsIn ?? TimeSpan.FromSeconds(-1));
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/admin/sales")
        {
            Content = JsonContent.Create(new
            {
                name = "Test phone",
                productId = "sku-1",
                price = 1999.00m,
                stock,
                perUserLimit,
                startsAt,
                endsAt = startsAt + (lasts ?? TimeSpan.FromHours(1)),
                gatewayRules,
                paymentTimeoutSeconds,
            }),
        };
        request.Headers.Add("X-Admin-Key", TestServices.AdminKey);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["saleId"]!.GetValue<string>();
    }

    public async Task<string> TokenAsync(string userId)
    {
        using var response = await http.PostAsJsonAsync("api/dev/token", new { userId });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    /// <param name="clientIp">Sent as X-Forwarded-For (the server trusts it from loopback), so one test can play many clients.</param>
    public async Task<PurchaseAnswer> PurchaseAsync(string saleId, string token, int quantity, string requestId,
        string? purchaseToken = null, string? clientIp = null, string? deviceId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/sales/{saleId}/purchase")
        {
            Content = JsonContent.Create(new { quantity, requestId, token = purchaseToken }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (clientIp is not null) request.Headers.Add("X-Forwarded-For", clientIp);
        if (deviceId is not null) request.Headers.Add("X-Device-Id", deviceId);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var json = body.Length > 0 ? JsonNode.Parse(body) : null;
        return new PurchaseAnswer((int)response.StatusCode, json?["orderId"]?.GetValue<string>(), json?["code"]?.GetValue<string>(),
            response.Content.Headers.ContentType?.MediaType, response.Headers.Location?.ToString(), response.Headers.RetryAfter?.Delta);
    }

    /// <summary>One unit, as a real client buys it: a 503, 429 or lost answer is retried with the same requestId (at most 20 times).</summary>
    public async Task<PurchaseAnswer> BuyDecidedAsync(string saleId, string token, string requestId, string? clientIp = null)
    {
        for (var tries = 1; ; tries++)
        {
            PurchaseAnswer answer;
            try
            {
                answer = await PurchaseAsync(saleId, token, 1, requestId, clientIp: clientIp);
            }
            catch (HttpRequestException)
            {
                answer = new PurchaseAnswer(0, null, null, null, null);
            }
            if (answer.Status is not (0 or 503 or 429) || tries == 20) return answer;
            await Task.Delay(100);
        }
    }

    public async Task<JsonObject> StatsAsync(string saleId)
    {
        var (status, body) = await GetStatsAsync(saleId);
        status.Should().Be((int)HttpStatusCode.OK, body?.ToJsonString());
        return body!;
    }

    /// <summary>The sale's stats with whatever status the server answers (a test of failures expects 503s).</summary>
    public async Task<(int Status, JsonObject? Body)> GetStatsAsync(string saleId)
    {
        var (status, body) = await GetAsync($"api/admin/sales/{saleId}/stats", adminKey: TestServices.AdminKey);
        return (status, status == (int)HttpStatusCode.OK ? body : null);
    }

    /// <summary>Buys and returns the order id.</summary>
    public async Task<string> BuyAsync(string saleId, string user, int quantity)
    {
        var token = await TokenAsync(user);
        var answer = await PurchaseAsync(saleId, token, quantity, "r-" + Guid.NewGuid().ToString("N"));
        answer.Status.Should().Be(202, answer.Code);
        return answer.OrderId!;
    }

    /// <summary>
    /// A sale on sale now in which each buyer bought once, with every order persisted: its id (also as a number)
    /// and the order ids, in the buyers' order.
    /// </summary>
    public async Task<(string SaleId, long Sale, string[] OrderIds)> DrainedSaleAsync(int stock, int perUserLimit, params (string User, int Quantity)[] buyers)
    {
        var saleId = await CreateSaleAsync(stock, perUserLimit);
        var orderIds = new string[buyers.Length];
        for (var i = 0; i < buyers.Length; i++) orderIds[i] = await BuyAsync(saleId, buyers[i].User, buyers[i].Quantity);
        await WaitForDrainAsync(saleId);
        return (saleId, long.Parse(saleId, System.Globalization.CultureInfo.InvariantCulture), orderIds);
    }

    public async Task<(int Status, JsonObject? Body)> PostAsync(string path, object body, string? token = null, string? adminKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (adminKey is not null) request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.TrimStart().StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null);
    }

    public async Task<int> DeleteAsync(string path, string adminKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await http.SendAsync(request);
        return (int)response.StatusCode;
    }

    public async Task<(int Status, JsonObject? Body)> GetAsync(string path, string? token = null, string? adminKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (adminKey is not null) request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body.Length > 0 && body.TrimStart().StartsWith('{') ? JsonNode.Parse(body)!.AsObject() : null);
    }

    /// <summary>POST /api/orders/{orderId}/pay (<paramref name="action"/> "pay") or /cancel, as the buyer.</summary>
    public Task<(int Status, JsonObject? Body)> OrderActionAsync(string orderId, string action, string token) =>
        PostAsync($"api/orders/{orderId}/{action}", new { }, token);

    /// <summary>Signs <paramref name="user"/> in, buys, and waits until the order is in the database: the token, the order id and the order.</summary>
    public async Task<(string Token, string OrderId, JsonObject Order)> PendingOrderAsync(string saleId, string user, string requestId, int quantity = 1)
    {
        var token = await TokenAsync(user);
        var answer = await PurchaseAsync(saleId, token, quantity, requestId);
        answer.Status.Should().Be(202, answer.Code);
        return (token, answer.OrderId!, await WaitForOrderAsync(answer.OrderId!, token, "pending_payment"));
    }

    /// <summary>Waits until the buyer's order has <paramref name="status"/> (or <paramref name="orElse"/>, when given); returns it.</summary>
    public async Task<JsonObject> WaitForOrderAsync(string orderId, string token, string status, TimeSpan? timeout = null, string? orElse = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        (int Status, JsonObject? Body) order;
        do
        {
            order = await GetAsync($"api/orders/{orderId}", token);
            // Only a 200 is the order: a problem (a 503 while the server is busy) has a numeric "status" of its own.
            if (order.Status == 200 && order.Body?["status"]?.GetValue<string>() is { } now && (now == status || now == orElse)) return order.Body!;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"order {orderId} did not reach {status}: {order.Status} {order.Body?.ToJsonString()}");
    }

    /// <summary>POST /api/payments/webhook with exactly <paramref name="body"/> and the given signature header (none when null).</summary>
    public async Task<(int Status, JsonObject? Body)> WebhookAsync(byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/payments/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null) request.Headers.Add("X-FlashSale-Signature", signature);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.TrimStart().StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null);
    }

    /// <summary>Waits until every accepted unit of the sale is in the database (the pipeline has drained).</summary>
    public async Task<JsonObject> WaitForDrainAsync(string saleId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        JsonObject stats;
        do
        {
            stats = await StatsAsync(saleId);
            if (stats["accepted"]!.GetValue<long>() == stats["persisted"]!.GetValue<long>()) return stats;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException("pipeline did not drain: " + stats.ToJsonString());
    }
}

public sealed record PurchaseAnswer(int Status, string? OrderId, string? Code, string? ContentType, string? Location, TimeSpan? RetryAfter = null);
