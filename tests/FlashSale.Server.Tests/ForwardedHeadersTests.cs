using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// Whose X-Forwarded-For a real server process believes (Kestrel, a real socket from 127.0.0.1): the configured proxies'
/// only, whatever ASPNETCORE_FORWARDEDHEADERS_ENABLED says. What the server takes for the client's address shows in
/// the IP blacklist.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ForwardedHeadersTests : EmbeddedDatabaseTest
{
    [Fact]
    public async Task A_spoofed_header_from_an_untrusted_peer_is_ignored_even_with_ASPNETCORE_FORWARDEDHEADERS_ENABLED()
    {
        // The proxies are configured elsewhere: to this server the test is a client writing its own header.
        await using var server = await StartAsync("192.0.2.0/24");
        var client = FlashSaleClient.For(server);
        var saleId = await client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        await BlockAsync(client, "127.0.0.1");

        var answer = await client.PurchaseAsync(saleId, await client.TokenAsync("mallory"), 1, "r1", clientIp: "203.0.113.9");

        answer.Code.Should().Be("blacklisted", "the server goes by the peer's address, not the one the header claims");
    }

    [Fact]
    public async Task The_header_from_a_configured_proxy_network_names_the_client()
    {
        await using var server = await StartAsync("127.0.0.0/8");
        var client = FlashSaleClient.For(server);
        var saleId = await client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        await BlockAsync(client, "203.0.113.0/24");

        (await client.PurchaseAsync(saleId, await client.TokenAsync("ann"), 1, "r1", clientIp: "203.0.113.9")).Code.Should().Be("blacklisted");
        (await client.PurchaseAsync(saleId, await client.TokenAsync("bob"), 1, "r1", clientIp: "::ffff:203.0.113.10")).Code.Should().Be("blacklisted");
        (await client.PurchaseAsync(saleId, await client.TokenAsync("cat"), 1, "r1", clientIp: "198.51.100.1")).Status.Should().Be(202);
    }

    private async Task<ServerProcess> StartAsync(string knownNetwork)
    {
        var server = ServerProcess.Embedded(Database.Path, new Dictionary<string, string>
        {
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
            ["FlashSale__ForwardedHeaders__KnownNetworks__0"] = knownNetwork,
        });
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task BlockAsync(FlashSaleClient client, string value) =>
        (await client.PostAsync("api/admin/blacklist", new { kind = "ip", value }, adminKey: TestServices.AdminKey)).Status.Should().Be(201);
}
