using System.Net;
using System.Text.Json.Nodes;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// The API description in distributed mode, as real processes serve it: an API process answers <c>GET /openapi/v1.json</c>
/// to anyone; a worker-only process maps no API, so no description either.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class OpenApiRolesTests() : ServerProcessTest(new ServerProcess("api"), new ServerProcess("worker"))
{
    [Fact]
    public async Task An_api_process_serves_the_description_without_sign_in_and_a_worker_process_has_none()
    {
        using var api = await Clients[0].Http.GetAsync("openapi/v1.json");
        api.StatusCode.Should().Be(HttpStatusCode.OK);
        var paths = JsonNode.Parse(await api.Content.ReadAsStringAsync())!["paths"]!.AsObject();
        paths.Select(p => p.Key).Should().Contain(["/api/sales/{saleId}/purchase", "/api/admin/sales", "/health/ready"]);

        using var worker = await Clients[1].Http.GetAsync("openapi/v1.json");
        worker.StatusCode.Should().Be(HttpStatusCode.NotFound, "a worker-only process maps no API");
        (await Clients[1].Http.GetAsync("health/live")).StatusCode.Should().Be(HttpStatusCode.OK, "it still answers its health checks");
    }
}
