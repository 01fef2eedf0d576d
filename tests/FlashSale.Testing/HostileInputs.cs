using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace FlashSale.Testing;

/// <summary>
/// What an attacker sends, against a live server, the same in both modes: bodies chunked and huge, deep JSON, control
/// characters in every string field and header the server reads, non-ASCII ids, numbers at and beyond every bound,
/// forged, expired and wrong-audience tokens, malformed forwarding headers (spoofing from an untrusted peer: ForwardedHeadersTests). Every answer must be a 4xx problem+json
/// with its code, none a 5xx; afterwards nothing has changed (no order, no unit sold, no sale, no blacklist entry),
/// and the sale still sells, to a buyer with a non-ASCII id.
/// </summary>
public static class HostileInputs
{
    /// <summary>One hostile request and the answer it must get (<paramref name="Code"/> null: any code, but one).</summary>
    public sealed record Case(string Name, HttpMethod Method, string Path, Func<HttpContent?> Body, int Status, string? Code,
        string? Token = null, IReadOnlyDictionary<string, string>? Headers = null);

    public static async Task RunAsync(FlashSaleClient client)
    {
        const int stock = 10;
        var saleId = await client.CreateSaleAsync(stock, perUserLimit: 2);
        var alice = await client.TokenAsync($"alice-{Guid.NewGuid():N}"); // one per run: the challenge windows live in Redis, across runs
        var blacklistBefore = await ReadAsync(client, "api/admin/blacklist", adminKey: TestServices.AdminKey);

        // The tokens below differ from this one in one thing each: this one is taken.
        (await client.GetAsync($"api/sales/{saleId}/orders/mine", Jwt("alice"))).Status.Should().Be(200, "the deployment's own token is taken");

        var failures = new List<string>();
        foreach (var c in Cases(saleId, alice))
        {
            HttpRequestMessage Build()
            {
                var request = new HttpRequestMessage(c.Method, c.Path) { Content = c.Body() };
                if (c.Token is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + c.Token);
                foreach (var (name, value) in c.Headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
                return request;
            }
            using var request = c.Status == 413 ? null : Build(); // a refused body is sent afresh if its answer is lost to the reset
            HttpResponseMessage sent;
            try
            {
                sent = request is null ? await ChunkedContent.SendRefusedAsync(client.Http, Build) : await client.Http.SendAsync(request);
            }
            catch (HttpRequestException ex)
            {
                throw new HttpRequestException($"{c.Name}: {ex.Message}", ex);
            }
            using var response = sent;
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var code = response.Content.Headers.ContentType?.MediaType == "application/problem+json" && text.TrimStart().StartsWith('{')
                ? JsonNode.Parse(text)?["code"]?.GetValue<string>()
                : null;
            if (status != c.Status || code is null || (c.Code is not null && code != c.Code))
            {
                failures.Add($"{c.Name}: {status} {response.Content.Headers.ContentType?.MediaType} {Shorten(text)}, expected {c.Status} problem+json {c.Code ?? "(any code)"}");
            }
        }
        failures.Count.Should().Be(0, "every hostile request gets its 4xx problem+json with its code; these did not:\n" + string.Join("\n", failures));

        // Nothing changed.
        var stats = await client.StatsAsync(saleId);
        stats["accepted"]!.GetValue<long>().Should().Be(0, stats.ToJsonString());
        stats["remainingInGate"]!.GetValue<long>().Should().Be(stock);
        stats["remainingInDb"]!.GetValue<long>().Should().Be(stock);
        stats["ordersByStatus"]!.AsObject().Sum(s => s.Value!.GetValue<long>()).Should().Be(0, "no order was made");
        (await ReadAsync(client, $"api/sales/{saleId}/orders/mine", token: alice)).Should().Be("[]", "alice has no order");
        (await ReadAsync(client, "api/admin/blacklist", adminKey: TestServices.AdminKey)).Should().Be(blacklistBefore, "no blacklist entry was added");

        // And the sale still sells, to a buyer whose id is not ASCII, at the per-user limit.
        var buyer = await client.TokenAsync("买家-ünï-😀");
        var bought = await client.PurchaseAsync(saleId, buyer, 2, "hostile-after");
        bought.Status.Should().Be(202, bought.Code);
        (await client.WaitForOrderAsync(bought.OrderId!, buyer, "pending_payment"))["userId"]!.GetValue<string>().Should().Be("买家-ünï-😀");
    }

    /// <summary>
    /// A flood of ids no one has: <paramref name="rounds"/> rounds of <paramref name="perRound"/> requests, each for a
    /// sale id never seen before (ids an id generator could have issued, so each one reaches the catalog and the
    /// database), on the sale, its purchase and its orders, and for unknown orders, from as many addresses.
    /// Every answer is 404. Returns the server's resident memory after each round.
    /// </summary>
    public static async Task<double[]> FloodUnknownIdsAsync(FlashSaleClient client, Func<double> residentMiB, int rounds, int perRound)
    {
        var known = long.Parse(await client.CreateSaleAsync(1, perUserLimit: 1), System.Globalization.CultureInfo.InvariantCulture);
        var token = await client.TokenAsync("flooder");
        var resident = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            var offset = (long)round * perRound;
            await Parallel.ForEachAsync(Enumerable.Range(0, perRound), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (n, _) =>
            {
                var id = known - 1 - offset - n; // an id issued a little earlier, by no sale
                using var request = (n % 4) switch
                {
                    0 => new HttpRequestMessage(HttpMethod.Get, $"api/sales/{id}"),
                    1 => new HttpRequestMessage(HttpMethod.Post, $"api/sales/{id}/purchase") { Content = Json($"{{\"quantity\":1,\"requestId\":\"f{n}\"}}") },
                    2 => new HttpRequestMessage(HttpMethod.Get, $"api/sales/{id}/orders/mine"),
                    _ => new HttpRequestMessage(HttpMethod.Get, $"api/orders/{id}"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Add("X-Forwarded-For", $"198.18.{(offset + n) / 250 % 250}.{(offset + n) % 250 + 1}");
                using var response = await client.Http.SendAsync(request);
                ((int)response.StatusCode).Should().Be(404, $"{request.RequestUri}: {await response.Content.ReadAsStringAsync()}");
            });
            resident[round] = residentMiB();
        }
        return resident;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static IEnumerable<Case> Cases(string saleId, string alice)
    {
        var purchase = $"api/sales/{saleId}/purchase";
        Func<HttpContent?> Json(string body) => () => new StringContent(body, Encoding.UTF8, "application/json");
        Func<HttpContent?> Buy(string quantity, string requestId = "\"hostile-1\"") => Json($"{{\"quantity\":{quantity},\"requestId\":{requestId}}}");
        var admin = new Dictionary<string, string> { ["X-Admin-Key"] = TestServices.AdminKey };
        var sale = "{\"name\":\"x\",\"productId\":\"p\",\"price\":1,\"stock\":5,\"perUserLimit\":1,\"startsAt\":\"2030-01-01T00:00:00Z\",\"endsAt\":\"2030-01-01T01:00:00Z\"}";

        // Bodies: chunked (no Content-Length) and huge, declared huge, nested deep.
        yield return new("chunked 1 MiB dev sign-in", HttpMethod.Post, "api/dev/token", () => Chunked("{\"userId\":\"" + new string('a', 1 << 20) + "\"}"), 413, null);
        yield return new("chunked 1 MiB purchase", HttpMethod.Post, purchase, () => Chunked("{\"quantity\":1,\"requestId\":\"" + new string('a', 1 << 20) + "\"}"), 413, null, alice);
        yield return new("chunked 1 MiB new sale", HttpMethod.Post, "api/admin/sales", () => Chunked("{\"name\":\"" + new string('a', 1 << 20) + "\"}"), 413, null, Headers: admin);
        yield return new("chunked 1 MiB webhook", HttpMethod.Post, "api/payments/webhook", () => Chunked("{\"paymentId\":\"" + new string('a', 1 << 20) + "\"}"), 413, null);
        yield return new("20 KiB purchase", HttpMethod.Post, purchase, Buy("1", "\"" + new string('a', 20 << 10) + "\""), 413, null, alice);
        yield return new("JSON nested 5,000 deep", HttpMethod.Post, purchase, Json(new string('[', 5_000) + new string(']', 5_000)), 400, "invalid_request", alice);
        yield return new("objects nested 1,000 deep", HttpMethod.Post, "api/dev/token", Json(string.Concat(Enumerable.Repeat("{\"userId\":", 1_000)) + "1" + new string('}', 1_000)), 400, "invalid_request");
        yield return new("not JSON", HttpMethod.Post, purchase, () => new StringContent("quantity=1", Encoding.UTF8, "application/x-www-form-urlencoded"), 400, "invalid_request", alice);

        // Control characters in every string field the server reads.
        foreach (var control in (string[])["\\u0000", "\\u0001", "\\n", "\\u001f", "\\u007f", "\\ud800"])
        {
            yield return new($"requestId with {control}", HttpMethod.Post, purchase, Buy("1", $"\"r{control}x\""), 400, "invalid_request", alice);
            yield return new($"dev userId with {control}", HttpMethod.Post, "api/dev/token", Json($"{{\"userId\":\"u{control}x\"}}"), 400, "invalid_request");
            yield return new($"sale name with {control}", HttpMethod.Post, "api/admin/sales", Json(sale.Replace("\"name\":\"x\"", $"\"name\":\"x{control}\"")), 400, "invalid_request", Headers: admin);
            yield return new($"sale productId with {control}", HttpMethod.Post, "api/admin/sales", Json(sale.Replace("\"productId\":\"p\"", $"\"productId\":\"p{control}\"")), 400, "invalid_request", Headers: admin);
            yield return new($"blacklist value with {control}", HttpMethod.Post, "api/admin/blacklist", Json($"{{\"kind\":\"user\",\"value\":\"m{control}\"}}"), 400, "invalid_request", Headers: admin);
            yield return new($"blacklist reason with {control}", HttpMethod.Post, "api/admin/blacklist", Json($"{{\"kind\":\"user\",\"value\":\"mallory\",\"reason\":\"r{control}\"}}"), 400, "invalid_request", Headers: admin);
            yield return new($"webhook paymentId with {control}", HttpMethod.Post, "api/payments/webhook",
                () => Signed($"{{\"paymentId\":\"p{control}\",\"orderId\":\"1\",\"status\":\"succeeded\",\"amount\":1,\"currency\":\"CNY\"}}"), 400, null,
                Headers: new Dictionary<string, string> { ["X-FlashSale-Signature"] = SignatureOf($"{{\"paymentId\":\"p{control}\",\"orderId\":\"1\",\"status\":\"succeeded\",\"amount\":1,\"currency\":\"CNY\"}}") });
        }
        // Headers the server reads (a control character in a header is refused by Kestrel itself before any handler).
        yield return new("device id with blanks", HttpMethod.Post, purchase, Buy("1"), 400, "invalid_request", alice, new Dictionary<string, string> { ["X-Device-Id"] = "my device !" });
        yield return new("device id of 4 KiB", HttpMethod.Post, purchase, Buy("1"), 400, "invalid_request", alice, new Dictionary<string, string> { ["X-Device-Id"] = new string('d', 4096) });
        yield return new("webhook with a garbage signature", HttpMethod.Post, "api/payments/webhook", Json("{}"), 401, "invalid_signature",
            Headers: new Dictionary<string, string> { ["X-FlashSale-Signature"] = "sha256=" + new string('z', 500) });
        yield return new("malformed X-Forwarded-For (answered, not a 500) on a wrong key", HttpMethod.Get, "api/admin/blacklist", () => null, 403, "forbidden",
            Headers: new Dictionary<string, string> { ["X-Admin-Key"] = "wrong-key-but-long-enough", ["X-Forwarded-For"] = "not-an-ip, ::ffff:999.1.1.1, 10.0.0.1/8" });

        // Non-ASCII and out-of-range ids.
        foreach (var id in (string[])["销售", "１２３", "0", "-1", "9223372036854775807", "9223372036854775808", "1e3", " 1", "%00"])
        {
            yield return new($"purchase on sale '{id}'", HttpMethod.Post, $"api/sales/{Uri.EscapeDataString(id)}/purchase", Buy("1"), 404, "sale_not_found", alice);
            yield return new($"sale '{id}'", HttpMethod.Get, $"api/sales/{Uri.EscapeDataString(id)}", () => null, 404, "sale_not_found");
            yield return new($"challenge on sale '{id}'", HttpMethod.Post, $"api/sales/{Uri.EscapeDataString(id)}/challenge", Json("{}"), 404, "sale_not_found", alice);
            yield return new($"my orders on sale '{id}'", HttpMethod.Get, $"api/sales/{Uri.EscapeDataString(id)}/orders/mine", () => null, 404, "sale_not_found", alice);
            yield return new($"order '{id}'", HttpMethod.Get, $"api/orders/{Uri.EscapeDataString(id)}", () => null, 404, "order_not_found", alice);
            yield return new($"pay order '{id}'", HttpMethod.Post, $"api/orders/{Uri.EscapeDataString(id)}/pay", Json("{}"), 404, "order_not_found", alice);
            yield return new($"cancel order '{id}'", HttpMethod.Post, $"api/orders/{Uri.EscapeDataString(id)}/cancel", Json("{}"), 404, "order_not_found", alice);
        }

        // Numbers at and beyond every bound (the sale's per-user limit is 2).
        foreach (var quantity in (string[])["0", "-1", "3", "2147483647", "2147483648", "-2147483649", "1e400", "1.5", "null", "true"])
        {
            yield return new($"quantity {quantity}", HttpMethod.Post, purchase, Buy(quantity), 400, "invalid_request", alice);
        }
        foreach (var (field, value) in (ValueTuple<string, string>[])
            [("stock", "0"), ("stock", "2147483648"), ("stock", "-1"), ("perUserLimit", "0"), ("perUserLimit", "2147483648"), ("price", "-0.01"), ("price", "1e30"),
             ("paymentTimeoutSeconds", "0"), ("paymentTimeoutSeconds", "-1"), ("paymentTimeoutSeconds", "2147483648"),
             ("startsAt", "\"0001-01-01T00:00:00Z\""), ("endsAt", "\"9999-12-31T23:59:59.9999999Z\""), ("startsAt", "\"not a date\"")])
        {
            var body = sale.Contains($"\"{field}\":", StringComparison.Ordinal)
                ? System.Text.RegularExpressions.Regex.Replace(sale, $"\"{field}\":(\"[^\"]*\"|[^,}}]*)", $"\"{field}\":{value}")
                : sale.Replace("{", $"{{\"{field}\":{value},", StringComparison.Ordinal);
            yield return new($"new sale with {field} {value}", HttpMethod.Post, "api/admin/sales", Json(body), 400, "invalid_request", Headers: admin);
        }
        yield return new("sale name of 10,000 characters", HttpMethod.Post, "api/admin/sales", Json(sale.Replace("\"name\":\"x\"", $"\"name\":\"{new string('x', 10_000)}\"")), 400, "invalid_request", Headers: admin);
        yield return new("captcha answer of 10,000 characters", HttpMethod.Post, $"api/sales/{saleId}/token", Json($"{{\"challengeId\":\"c\",\"answer\":\"{new string('7', 10_000)}\"}}"), 400, "invalid_request", alice);

        // Tokens: forged, expired, for another audience, unsigned, garbage.
        foreach (var (name, token) in (ValueTuple<string, string>[])
            [("forged", Jwt("alice", key: "an-attackers-own-key-0123456789abcdef")), ("expired", Jwt("alice", expires: DateTime.UtcNow.AddMinutes(-10))),
             ("for another audience", Jwt("alice", audience: "someone-else")), ("of another issuer", Jwt("alice", issuer: "evil")),
             ("unsigned (alg none)", Unsigned("alice")), ("garbage", "not.a.jwt"), ("empty", ""), ("of 8 KiB", new string('A', 8192))])
        {
            yield return new($"token {name}", HttpMethod.Post, purchase, Buy("1"), 401, "unauthorized", token);
        }
    }

    private static async Task<string> ReadAsync(FlashSaleClient client, string path, string? token = null, string? adminKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (adminKey is not null) request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await client.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static HttpContent Chunked(string body) => new ChunkedContent(Encoding.UTF8.GetBytes(body));

    private static HttpContent Signed(string body) => new StringContent(body, Encoding.UTF8, "application/json");

    private static string SignatureOf(string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TestServices.WebhookSecret), Encoding.UTF8.GetBytes(body)));

    /// <summary>A user token as the deployment's identity provider would issue it, with one thing changed.</summary>
    private static string Jwt(string user, string key = TestServices.SigningKey, DateTime? expires = null, string audience = TestServices.Audience, string issuer = "flashsale") =>
        TestTokens.Mint(user, audience, key, issuer, expires);

    private static string Unsigned(string user)
    {
        static string Part(string json) => Base64UrlEncoder.Encode(json);
        return Part("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Part($"{{\"sub\":\"{user}\",\"iss\":\"flashsale\",\"aud\":\"{TestServices.Audience}\",\"exp\":{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}") + ".";
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
