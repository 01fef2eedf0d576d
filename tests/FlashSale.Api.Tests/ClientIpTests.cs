using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>Whose X-Forwarded-For is believed: the peer the server sees is no proxy it was told of.</summary>
public sealed class UntrustedPeerTests() : ApiTest(services: PeerAddress.Is("192.0.2.50"))
{
    [Fact]
    public async Task A_spoofed_X_Forwarded_For_from_an_untrusted_peer_is_ignored()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        await ClientIps.BlockAsync(Client, "192.0.2.50");

        var answer = await Client.PurchaseAsync(saleId, await Client.TokenAsync("mallory"), 1, "r1", clientIp: "203.0.113.9");

        answer.Code.Should().Be("blacklisted", "the server goes by the peer's address, not the one the header claims");
    }
}

/// <summary>
/// ASP.NET Core's switch for containers (ASPNETCORE_FORWARDEDHEADERS_ENABLED, here as its configuration key) clears the known
/// proxies, i.e. would believe anyone's header: FlashSale's own trust applies after it. The peer is set on the request
/// itself, before any middleware (the switch adds one of its own in front of the pipeline).
/// </summary>
public sealed class ForwardedHeadersSwitchTests() : ApiTest(new Dictionary<string, string> { ["ForwardedHeaders_Enabled"] = "true" })
{
    [Fact]
    public async Task ASPNETCORE_FORWARDEDHEADERS_ENABLED_does_not_make_a_spoofed_header_believed()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        await ClientIps.BlockAsync(Client, "192.0.2.50");
        var token = await Client.TokenAsync("mallory");

        var context = await App.Server.SendAsync(c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.50");
            c.Request.Method = "POST";
            c.Request.Path = $"/api/sales/{saleId}/purchase";
            c.Request.Headers.Authorization = "Bearer " + token;
            c.Request.Headers["X-Forwarded-For"] = "203.0.113.9";
            c.Request.ContentType = "application/json";
            c.Request.Body = new MemoryStream("{\"quantity\":1,\"requestId\":\"r1\"}"u8.ToArray());
        });

        context.Response.StatusCode.Should().Be(403);
        (await new StreamReader(context.Response.Body).ReadToEndAsync()).Should().Contain("\"code\":\"blacklisted\"", "the peer is no known proxy");
    }
}

/// <summary>A deployment behind a load balancer: its network and an IPv6 proxy configured; the peer is a dual-stack socket's mapped address.</summary>
public sealed class ProxyNetworkTests() : ApiTest(new Dictionary<string, string>
{
    ["FlashSale:ForwardedHeaders:KnownNetworks:0"] = "192.0.2.0/24",
    ["FlashSale:ForwardedHeaders:KnownProxies:0"] = "2001:db8:ffff::5",
}, PeerAddress.Is("::ffff:192.0.2.50"))
{
    [Fact]
    public async Task X_Forwarded_For_from_a_configured_proxy_network_names_the_client_hop_by_hop()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        await ClientIps.BlockAsync(Client, "203.0.113.0/24");
        await ClientIps.BlockAsync(Client, "10.9.9.9");

        (await Buy(saleId, "ann", "203.0.113.9")).Code.Should().Be("blacklisted", "the load balancer's header is believed");
        (await Buy(saleId, "bob", "::ffff:203.0.113.10")).Code.Should().Be("blacklisted", "a mapped address is its IPv4 address");
        (await Buy(saleId, "cat", "203.0.113.11, 192.0.2.77")).Code.Should().Be("blacklisted", "an inner proxy of the network is walked past");
        (await Buy(saleId, "dan", "10.9.9.9, 198.51.100.2")).Status.Should().Be(202, "what the client wrote before the first untrusted hop is not believed");
        (await Buy(saleId, "eve", "198.51.100.3")).Status.Should().Be(202);
    }

    private async Task<PurchaseAnswer> Buy(string saleId, string user, string forwardedFor) =>
        await Client.PurchaseAsync(saleId, await Client.TokenAsync(user), 1, "r-" + user, clientIp: forwardedFor);
}

/// <summary>IP blacklist entries: an address or a CIDR range, checked when added; what a client's address is keyed as.</summary>
public sealed class IpBlacklistTests : ApiTest
{
    [Fact]
    public async Task A_bad_ip_value_is_refused_and_nothing_is_stored()
    {
        string[] bad = ["not-an-ip", "203.0.113", "10.1", "12345", "010.0.0.1", "203.0.113.256", "203.0.113.7/33", "203.0.113.7/", "2001:db8::/129", "fe80::1%eth0", "203.0.113.7 "];
        foreach (var value in bad)
        {
            using var response = await ClientIps.AdminPostAsync(Client, "api/admin/blacklist", new { kind = "ip", value });
            ((int)response.StatusCode).Should().Be(400, value);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", value);
            (await response.Content.ReadAsStringAsync()).Should().Contain("\"code\":\"invalid_request\"", value);
        }

        (await ClientIps.ListAsync(Client)).Should().BeEmpty("nothing refused was stored");
        using var device = await ClientIps.AdminPostAsync(Client, "api/admin/blacklist", new { kind = "device", value = "not-an-ip" });
        ((int)device.StatusCode).Should().Be(201, "only ip entries are addresses");
    }

    [Fact]
    public async Task A_range_entry_blocks_every_address_in_it_and_ipv6_clients_are_their_64()
    {
        var saleId = await Client.CreateSaleAsync(stock: 100, perUserLimit: 1);
        (await ClientIps.BlockAsync(Client, "203.0.113.77/24")).Should().Be("203.0.113.0/24", "stored as the range it names");
        (await ClientIps.BlockAsync(Client, "2001:db8:aa::/48")).Should().Be("2001:db8:aa::/48");
        (await ClientIps.BlockAsync(Client, "2001:db8:bb::1")).Should().Be("2001:db8:bb::/64", "an IPv6 client is its /64");
        (await ClientIps.BlockAsync(Client, "::ffff:198.51.100.7")).Should().Be("198.51.100.7");

        string[] blocked = ["203.0.113.1", "203.0.113.254", "::ffff:203.0.113.5", "2001:db8:aa:1234::1", "2001:db8:bb::ffff", "198.51.100.7"];
        string[] open = ["203.0.114.1", "2001:db8:ab::1", "2001:db8:bb:1::1", "198.51.100.8"];
        var i = 0;
        foreach (var ip in blocked) (await Buy(saleId, $"blocked{i++}", ip)).Code.Should().Be("blacklisted", ip);
        foreach (var ip in open) (await Buy(saleId, $"open{i++}", ip)).Status.Should().Be(202, ip);

        (await Client.DeleteAsync("api/admin/blacklist/ip/203.0.113.0%2F24", TestServices.AdminKey)).Should().Be(204, "a range is named with %2F in the path");
        (await Client.DeleteAsync("api/admin/blacklist/ip/2001:db8:bb::42", TestServices.AdminKey)).Should().Be(204, "any spelling of the range names it");
        (await Buy(saleId, "lifted1", "203.0.113.1")).Status.Should().Be(202);
        (await Buy(saleId, "lifted2", "2001:db8:bb::ffff")).Status.Should().Be(202);
        (await ClientIps.ListAsync(Client)).Select(e => e!["value"]!.GetValue<string>()).Should().BeEquivalentTo("2001:db8:aa::/48", "198.51.100.7");
    }

    private async Task<PurchaseAnswer> Buy(string saleId, string user, string clientIp) =>
        await Client.PurchaseAsync(saleId, await Client.TokenAsync(user), 1, "r-" + user, clientIp: clientIp);
}

/// <summary>The per-IP window holds per /64, and captcha requests pass the blacklist and windows of their own.</summary>
public sealed class ClientLimitTests() : ApiTest(new Dictionary<string, string>
{
    ["FlashSale:Gateway:IpRequestsPerWindow"] = "1",
    ["FlashSale:Gateway:UserRequestsPerWindow"] = "1",
    ["FlashSale:Gateway:Window"] = "00:00:30",
    ["FlashSale:Gateway:ChallengeUserRequestsPerWindow"] = "2",
    ["FlashSale:Gateway:ChallengeIpRequestsPerWindow"] = "3",
})
{
    [Fact]
    public async Task Two_ipv6_addresses_in_one_64_share_the_per_ip_limit()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);

        (await Buy(saleId, "ann", "2001:db8:1:2::1")).Status.Should().Be(202);
        var second = await Buy(saleId, "bob", "2001:db8:1:2:ffff:ffff:ffff:fffe");
        second.Status.Should().Be(429, "another address of the same /64 is the same client");
        second.Code.Should().Be("throttled");
        (await Buy(saleId, "cat", "2001:db8:1:3::1")).Status.Should().Be(202, "the next /64 is another client");
        (await Buy(saleId, "dan", "::ffff:203.0.113.9")).Status.Should().Be(202);
        (await Buy(saleId, "eve", "203.0.113.9")).Status.Should().Be(429, "a mapped address and its IPv4 address are one client");
    }

    [Fact]
    public async Task Challenges_and_tokens_are_behind_the_blacklist_and_windows_of_their_own()
    {
        var guarded = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1, gatewayRules: new { requireToken = true });
        var open = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var ann = await Client.TokenAsync("ann");

        var (status, challenge, _) = await Ask(guarded, "challenge", new { }, ann, "198.51.100.1");
        status.Should().Be(200);
        (await Ask(guarded, "token", new { challengeId = challenge!["challengeId"]!.GetValue<string>(), answer = "wrong" }, ann, "198.51.100.1")).Status.Should().Be(403);
        var (throttled, body, retryAfter) = await Ask(guarded, "challenge", new { }, ann, "198.51.100.1");
        throttled.Should().Be(429, "two captcha requests per user and window");
        body!["code"]!.GetValue<string>().Should().Be("throttled");
        retryAfter.Should().BeGreaterThan(TimeSpan.FromSeconds(30), "until the first request leaves the minute-long window");
        (await Ask(guarded, "token", new { challengeId = "x", answer = "1" }, ann, "198.51.100.1")).Status.Should().Be(429);
        (await Client.PurchaseAsync(open, ann, 1, "r1", clientIp: "198.51.100.1")).Status.Should().Be(202, "captcha requests leave the purchase budget (one here) alone");

        var bob = await Client.TokenAsync("bob");
        var dan = await Client.TokenAsync("dan");
        (await Ask(guarded, "challenge", new { }, bob, "198.51.100.2")).Status.Should().Be(200);
        (await Ask(guarded, "challenge", new { }, bob, "198.51.100.2")).Status.Should().Be(200);
        (await Ask(guarded, "challenge", new { }, dan, "198.51.100.2")).Status.Should().Be(200);
        (await Ask(guarded, "challenge", new { }, dan, "198.51.100.2")).Status.Should().Be(429, "three captcha requests per IP and window");

        await ClientIps.BlockAsync(Client, "198.51.100.0/24");
        var cat = await Client.TokenAsync("cat");
        var (blocked, blockedBody, _) = await Ask(guarded, "challenge", new { }, cat, "198.51.100.3");
        blocked.Should().Be(403);
        blockedBody!["code"]!.GetValue<string>().Should().Be("blacklisted");
        (await Ask(guarded, "token", new { challengeId = "x", answer = "1" }, cat, "198.51.100.3")).Body!["code"]!.GetValue<string>().Should().Be("blacklisted");
    }

    private async Task<PurchaseAnswer> Buy(string saleId, string user, string clientIp) =>
        await Client.PurchaseAsync(saleId, await Client.TokenAsync(user), 1, "r-" + user, clientIp: clientIp);

    private async Task<(int Status, JsonObject? Body, TimeSpan? RetryAfter)> Ask(string saleId, string what, object body, string token, string clientIp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/sales/{saleId}/{what}") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-Forwarded-For", clientIp);
        using var response = await Client.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null, response.Headers.RetryAfter?.Delta);
    }
}

/// <summary>The admin calls these tests make.</summary>
internal static class ClientIps
{
    /// <summary>Blocks an ip entry; returns the value stored.</summary>
    public static async Task<string> BlockAsync(FlashSaleClient client, string value)
    {
        using var response = await AdminPostAsync(client, "api/admin/blacklist", new { kind = "ip", value });
        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(201, body);
        return JsonNode.Parse(body)!["value"]!.GetValue<string>();
    }

    public static async Task<HttpResponseMessage> AdminPostAsync(FlashSaleClient client, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Admin-Key", TestServices.AdminKey);
        return await client.Http.SendAsync(request);
    }

    public static async Task<JsonArray> ListAsync(FlashSaleClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/admin/blacklist");
        request.Headers.Add("X-Admin-Key", TestServices.AdminKey);
        using var response = await client.Http.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }
}
