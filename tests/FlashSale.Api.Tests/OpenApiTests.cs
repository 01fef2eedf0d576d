using System.Net;
using System.Text.Json.Nodes;
using FlashSale.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests;

/// <summary>
/// The API description, <c>GET /openapi/v1.json</c>: public, it names every route the server maps with each of its
/// methods, and says what a call takes (its body), answers (each status with its body) and refuses (each problem code).
/// </summary>
public sealed class OpenApiTests : ApiTest
{
    /// <summary>MapOpenApi's own route: the document does not describe itself (a client that reads it has it already).</summary>
    private const string DocumentRoute = "/openapi/{documentName}.json";

    [Fact]
    public async Task Every_route_the_server_maps_is_in_the_description_with_each_of_its_methods()
    {
        var document = await DocumentAsync();
        var paths = document["paths"]!.AsObject();

        var mapped = MappedOperations();
        mapped.Should().Contain([("POST", "/api/sales/{saleId}/purchase"), ("GET", "/health/ready"), ("GET", "/sales/{saleId}")], "the enumeration sees the server's routes");
        var missing = mapped.Where(o => paths[o.Path]?[o.Method.ToLowerInvariant()] is null).Select(o => $"{o.Method} {o.Path}").ToList();
        missing.Should().BeEmpty("every mapped route and method is described at /openapi/v1.json");
    }

    [Fact]
    public async Task The_purchase_documents_its_body_its_202_and_the_problems_it_answers()
    {
        var document = await DocumentAsync();
        var purchase = document["paths"]!["/api/sales/{saleId}/purchase"]!["post"]!;

        purchase["requestBody"].Should().NotBeNull("the handler reads a JSON body");
        purchase["requestBody"]!["required"]!.GetValue<bool>().Should().BeTrue();
        var body = Resolve(document, purchase["requestBody"]!["content"]!["application/json"]!["schema"]!);
        Types(body["properties"]!["quantity"]!).Should().Equal("integer");
        Types(body["properties"]!["requestId"]!).Should().Equal("string");
        Types(body["properties"]!["token"]!).Should().Equal("string");
        Names(body["required"]).Should().BeEquivalentTo(["quantity", "requestId"], "a purchase token is asked for only where a sale or a challenge wants one");

        var accepted = Resolve(document, purchase["responses"]!["202"]!["content"]!["application/json"]!["schema"]!);
        Names(accepted["required"]).Should().BeEquivalentTo(["orderId", "status"]);

        var codes = purchase["x-problem-codes"]!.AsObject();
        Names(codes["400"]).Should().Contain("invalid_request");
        Names(codes["401"]).Should().Contain("unauthorized");
        Names(codes["403"]).Should().Contain(["blacklisted", "invalid_token", "risk_rejected"]);
        Names(codes["404"]).Should().Contain("sale_not_found");
        Names(codes["409"]).Should().Contain(["not_started", "limit_exceeded"]);
        Names(codes["410"]).Should().Contain(["sold_out", "ended"]);
        Names(codes["429"]).Should().Contain(["busy", "throttled"]);
        Names(codes["503"]).Should().Contain("unavailable");
        foreach (var (status, _) in codes)
        {
            var problem = Resolve(document, purchase["responses"]![status]!["content"]!["application/problem+json"]!["schema"]!);
            Types(problem["properties"]!["code"]!).Should().Equal("string");
            Names(problem["required"]).Should().Contain(["status", "title", "code"]);
        }
        purchase["responses"]!["429"]!["headers"]!["Retry-After"].Should().NotBeNull("a throttled or busy purchase says when to come back");
        purchase["security"]!.AsArray().Single()!.AsObject().Select(s => s.Key).Should().Equal("bearer");
    }

    [Fact]
    public async Task Every_api_operation_that_can_be_refused_declares_its_4xx_problems()
    {
        var document = await DocumentAsync();
        var silent = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                // The server's clock takes nothing from the caller: there is nothing to refuse.
                if ((method, path) == ("get", "/api/time")) continue;
                var problems = operation!["responses"]!.AsObject()
                    .Where(r => r.Key.StartsWith('4') && r.Value!["content"]?["application/problem+json"] is not null && operation["x-problem-codes"]?[r.Key] is JsonArray { Count: > 0 });
                if (!problems.Any()) silent.Add($"{method.ToUpperInvariant()} {path}");
            }
        }
        silent.Should().BeEmpty("each call under /api says which 4xx problems it answers");
    }

    [Fact]
    public async Task Buyers_calls_take_the_bearer_token_and_admins_calls_the_admin_key_header()
    {
        var document = await DocumentAsync();
        var schemes = document["components"]!["securitySchemes"]!;
        (schemes["bearer"]!["type"]!.GetValue<string>(), schemes["bearer"]!["scheme"]!.GetValue<string>()).Should().Be(("http", "bearer"));
        (schemes["adminKey"]!["type"]!.GetValue<string>(), schemes["adminKey"]!["in"]!.GetValue<string>(), schemes["adminKey"]!["name"]!.GetValue<string>())
            .Should().Be(("apiKey", "header", "X-Admin-Key"));

        var wrong = new List<string>();
        foreach (var endpoint in RouteEndpoints().Where(e => e.RoutePattern.RawText != DocumentRoute))
        {
            var path = PathOf(endpoint.RoutePattern);
            var expected = endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null ? "bearer"
                : path.StartsWith("/api/admin/", StringComparison.Ordinal) || path == "/metrics" ? "adminKey" // the scrape's key is the admin key, by default
                : null;
            foreach (var method in MethodsOf(endpoint))
            {
                if (document["paths"]?[path]?[method.ToLowerInvariant()] is not { } operation) continue; // missing: the coverage test names it
                var security = operation["security"] as JsonArray;
                var required = security is null || security.Any(s => s!.AsObject().Count == 0) ? null : security.Single()!.AsObject().Single().Key;
                if (required != expected) wrong.Add($"{method} {path}: {required ?? "none"}, not {expected ?? "none"}");
            }
        }
        wrong.Should().BeEmpty();
    }

    [Fact]
    public async Task Every_schema_describes_its_members_from_the_source_generated_json()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        schemas.Select(s => s.Key).Should().Contain(["PurchaseRequestBody", "PurchaseAccepted", "SaleResponse", "OrderResponse", "ProblemDetails", "HealthResponse"]);
        schemas.Where(s => s.Value!["properties"] is not JsonObject { Count: > 0 }).Select(s => s.Key).Should().BeEmpty("no schema is empty");
        Types(Resolve(document, schemas["SaleResponse"]!)["properties"]!["saleId"]!).Should().Equal(["string"], "ids are strings, camelCase");
        Types(schemas["OrderResponse"]!["properties"]!["quantity"]!).Should().Equal(["integer"], "the API writes numbers as JSON numbers");
        Types(schemas["OrderResponse"]!["properties"]!["paidAt"]!).Should().Equal(["string"], "a member without a value is left out, never null");
        Names(schemas["OrderResponse"]!["required"]).Should().NotContain("paidAt");
    }

    /// <summary>The document as an anonymous client reads it (no token, no admin key).</summary>
    private async Task<JsonObject> DocumentAsync()
    {
        using var response = await Client.Http.GetAsync("openapi/v1.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK, "the description is public");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/json");
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        document["openapi"]!.GetValue<string>().Should().StartWith("3.");
        return document;
    }

    private IEnumerable<RouteEndpoint> RouteEndpoints() => App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();

    /// <summary>Every (method, path) the server maps but the description's own route.</summary>
    private List<(string Method, string Path)> MappedOperations() =>
        RouteEndpoints().Where(e => e.RoutePattern.RawText != DocumentRoute)
            .SelectMany(e => MethodsOf(e).Select(m => (m, PathOf(e.RoutePattern)))).Distinct().ToList();

    /// <summary>The endpoint's methods; one that takes any method (the health checks) is described as the GET it is called with.</summary>
    private static IReadOnlyList<string> MethodsOf(RouteEndpoint endpoint) => endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];

    /// <summary>The route as an OpenAPI path: <c>/api/sales/{saleId}</c>, parameters without constraints.</summary>
    private static string PathOf(RoutePattern pattern) => "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternSeparatorPart separator => separator.Content,
        RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
        _ => throw new InvalidOperationException($"unknown route part {part}"),
    }))));

    private static JsonNode Resolve(JsonObject document, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]] ?? throw new InvalidOperationException($"{reference} is missing")
            : schema;

    /// <summary>A schema's type, one or several (OpenAPI 3.1: <c>"type": ["integer", "null"]</c>).</summary>
    private static List<string> Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray many => Names(many),
        { } one => [one.GetValue<string>()],
        null => [],
    };

    private static List<string> Names(JsonNode? array) => array?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
}

/// <summary>The document is generated once and then served from memory, to anyone: asking for it costs an API process nothing.</summary>
public sealed class OpenApiCacheTests() : ApiTest(services: s => s.Configure<Microsoft.AspNetCore.OpenApi.OpenApiOptions>("v1",
    o => o.AddDocumentTransformer((_, _, _) =>
    {
        Interlocked.Increment(ref Generated);
        return Task.CompletedTask;
    })))
{
    private static int Generated;

    [Fact]
    public async Task The_document_is_generated_once_whoever_asks()
    {
        var before = Volatile.Read(ref Generated);
        var first = await Client.Http.GetStringAsync("openapi/v1.json");
        using var signedIn = new HttpRequestMessage(HttpMethod.Get, "openapi/v1.json?x=1");
        signedIn.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await Client.TokenAsync("alice"));
        using var second = await Client.Http.SendAsync(signedIn);
        (await second.Content.ReadAsStringAsync()).Should().Be(first);
        (await Client.Http.GetStringAsync("openapi/v1.json")).Should().Be(first);
        (Volatile.Read(ref Generated) - before).Should().Be(1, "the second and third requests were served from the cache");
    }
}
