using System.Net.Http.Headers;
using System.Text;
using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>
/// Every kind of bad input gets its 4xx problem+json code, and none of them changes anything. The input is
/// checked before the gate and the stores, the same in both modes (one rule, Identifiers in Core): embedded
/// mode is enough to hold it.
/// </summary>
public sealed class BadInputTests : ApiTest
{
    [Fact]
    public async Task Bad_purchases_are_refused_with_their_code_and_change_nothing()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 2);
        var token = await Client.TokenAsync("alice");

        var cases = new (string Name, string Body, string? Token, string Sale, int Status, string Code)[]
        {
            ("malformed JSON", "{\"quantity\": 1, \"requestId\": ", token, saleId, 400, "invalid_request"),
            ("not an object", "[1,2]", token, saleId, 400, "invalid_request"),
            ("missing quantity", "{\"requestId\":\"r1\"}", token, saleId, 400, "invalid_request"),
            ("missing requestId", "{\"quantity\":1}", token, saleId, 400, "invalid_request"),
            ("empty requestId", "{\"quantity\":1,\"requestId\":\"\"}", token, saleId, 400, "invalid_request"),
            ("requestId too long", $"{{\"quantity\":1,\"requestId\":\"{new string('x', 65)}\"}}", token, saleId, 400, "invalid_request"),
            // Whatever the gate accepts every store must write: a NUL once made a 202 PostgreSQL could not store.
            ("requestId with a NUL", "{\"quantity\":1,\"requestId\":\"r\\u0000x\"}", token, saleId, 400, "invalid_request"),
            ("requestId with a space", "{\"quantity\":1,\"requestId\":\"r 1\"}", token, saleId, 400, "invalid_request"),
            ("requestId with a lone surrogate", "{\"quantity\":1,\"requestId\":\"r\\ud800\"}", token, saleId, 400, "invalid_request"),
            ("requestId not ASCII", "{\"quantity\":1,\"requestId\":\"请求一\"}", token, saleId, 400, "invalid_request"),
            ("quantity 0", "{\"quantity\":0,\"requestId\":\"r2\"}", token, saleId, 400, "invalid_request"),
            ("quantity negative", "{\"quantity\":-1,\"requestId\":\"r3\"}", token, saleId, 400, "invalid_request"),
            ("quantity above limit", "{\"quantity\":3,\"requestId\":\"r4\"}", token, saleId, 400, "invalid_request"),
            ("quantity huge", "{\"quantity\":99999999999999,\"requestId\":\"r5\"}", token, saleId, 400, "invalid_request"),
            ("quantity not a number", "{\"quantity\":\"two\",\"requestId\":\"r6\"}", token, saleId, 400, "invalid_request"),
            ("unknown sale", "{\"quantity\":1,\"requestId\":\"r7\"}", token, "123456789", 404, "sale_not_found"),
            ("sale id not a number", "{\"quantity\":1,\"requestId\":\"r8\"}", token, "abc", 404, "sale_not_found"),
            ("missing token", "{\"quantity\":1,\"requestId\":\"r9\"}", null, saleId, 401, "unauthorized"),
            ("forged token", "{\"quantity\":1,\"requestId\":\"r10\"}", Forged("alice"), saleId, 401, "unauthorized"),
            ("garbage token", "{\"quantity\":1,\"requestId\":\"r11\"}", "not.a.jwt", saleId, 401, "unauthorized"),
        };

        foreach (var c in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/sales/{c.Sale}/purchase")
            {
                Content = new StringContent(c.Body, Encoding.UTF8, "application/json"),
            };
            if (c.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", c.Token);
            using var response = await Client.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).Should().Be(c.Status, $"{c.Name}: {body}");
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", c.Name);
            body.Should().Contain($"\"code\":\"{c.Code}\"", c.Name);
        }

        var badDevice = await Client.PurchaseAsync(saleId, token, 1, "device-check", deviceId: "my device!");
        (badDevice.Status, badDevice.Code).Should().Be((400, "invalid_request"), "X-Device-Id follows the same alphabet");
        // Raw JSON: a serializer would replace the lone surrogate before it left.
        using var loneSurrogate = await Client.Http.PostAsync("api/dev/token", new StringContent("{\"userId\":\"a\\ud800\"}", Encoding.UTF8, "application/json"));
        ((int)loneSurrogate.StatusCode).Should().Be(400, "a user id must be storable everywhere too");

        var stats = await Client.StatsAsync(saleId);
        stats["accepted"]!.GetValue<long>().Should().Be(0);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(10);
        stats["remainingInDb"]!.GetValue<long>().Should().Be(10);
        (await Database.ScalarAsync("SELECT count(*) FROM orders WHERE sale_id = @s", long.Parse(saleId))).Should().Be(0);

        // And the sale still sells: the refusals left it intact.
        (await Client.PurchaseAsync(saleId, token, 2, "good")).Status.Should().Be(202);
    }

    [Fact]
    public async Task Admin_calls_need_the_right_key_and_valid_sales()
    {
        var before = await Database.ScalarAsync("SELECT count(*) FROM sales");
        var valid = "{\"name\":\"x\",\"productId\":\"p\",\"price\":1,\"stock\":5,\"perUserLimit\":1,\"startsAt\":\"2030-01-01T00:00:00Z\",\"endsAt\":\"2030-01-01T01:00:00Z\"}";
        var cases = new (string Name, string Body, string? Key, int Status, string Code)[]
        {
            ("no key", valid, null, 401, "unauthorized"),
            ("wrong key", valid, "wrong-key-wrong-key", 403, "forbidden"),
            ("malformed", "{", TestServices.AdminKey, 400, "invalid_request"),
            ("missing stock", valid.Replace("\"stock\":5,", ""), TestServices.AdminKey, 400, "invalid_request"),
            ("zero stock", valid.Replace("\"stock\":5", "\"stock\":0"), TestServices.AdminKey, 400, "invalid_request"),
            ("zero limit", valid.Replace("\"perUserLimit\":1", "\"perUserLimit\":0"), TestServices.AdminKey, 400, "invalid_request"),
            ("ends before start", valid.Replace("T01:00:00Z", "T00:00:00Z"), TestServices.AdminKey, 400, "invalid_request"),
            ("negative price", valid.Replace("\"price\":1", "\"price\":-1"), TestServices.AdminKey, 400, "invalid_request"),
        };
        foreach (var c in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/admin/sales") { Content = new StringContent(c.Body, Encoding.UTF8, "application/json") };
            if (c.Key is not null) request.Headers.Add("X-Admin-Key", c.Key);
            using var response = await Client.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).Should().Be(c.Status, $"{c.Name}: {body}");
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", c.Name);
            body.Should().Contain($"\"code\":\"{c.Code}\"", c.Name);
        }
        (await Database.ScalarAsync("SELECT count(*) FROM sales")).Should().Be(before, "no refused call created a sale");

        using var stats = new HttpRequestMessage(HttpMethod.Get, "api/admin/sales/1/stats");
        stats.Headers.Add("X-Admin-Key", "wrong-key-wrong-key");
        ((int)(await Client.Http.SendAsync(stats)).StatusCode).Should().Be(403);
    }

    [Fact]
    public async Task Odd_but_valid_bodies_are_taken_a_byte_order_mark_and_a_quoted_charset()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var bodies = new (string Name, byte[] Body, string ContentType)[]
        {
            ("UTF-8 with a byte order mark", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"quantity\":1,\"requestId\":\"bom\"}")], "application/json"),
            ("charset in quotes", Encoding.UTF8.GetBytes("{\"quantity\":1,\"requestId\":\"quoted\"}"), "application/json; charset=\"utf-8\""),
        };
        foreach (var (name, body, contentType) in bodies)
        {
            var token = await Client.TokenAsync("odd-" + name.Length);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/sales/{saleId}/purchase") { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await Client.Http.SendAsync(request);
            ((int)response.StatusCode).Should().Be(202, $"{name}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Someone_elses_order_is_not_found()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var alice = await Client.TokenAsync("alice");
        var bob = await Client.TokenAsync("bob");
        var bought = await Client.PurchaseAsync(saleId, alice, 1, "a1");
        bought.Status.Should().Be(202);
        bought.Location.Should().Be($"/api/orders/{bought.OrderId}");

        var (mine, order) = await Client.GetAsync($"api/orders/{bought.OrderId}", alice);
        mine.Should().Be(200);
        order!["status"]!.GetValue<string>().Should().BeOneOf("queued", "pending_payment");
        (await Client.GetAsync($"api/orders/{bought.OrderId}", bob)).Status.Should().Be(404);
        (await Client.GetAsync($"api/orders/{bought.OrderId}")).Status.Should().Be(401);
    }

    /// <summary>A token for this deployment's issuer and audience, signed with an attacker's own key.</summary>
    private static string Forged(string userId) => TestTokens.Mint(userId, TestServices.Audience, signingKey: "an-attackers-own-key-0123456789abcdef");
}
