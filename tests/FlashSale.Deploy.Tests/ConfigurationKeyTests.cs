using System.Net;
using FlashSale.Deploy.Tests.Infrastructure;

namespace FlashSale.Deploy.Tests;

/// <summary>
/// Every setting deploy/compose.yaml and deploy/k8s give a FlashSale container is one the server reads, every secret it
/// requires is among them, and with exactly that environment a real server starts in distributed mode and gets ready.
/// What the server reads comes from the server (<see cref="ServerConfiguration"/>), not from a list kept here.
/// </summary>
public sealed class ConfigurationKeyTests
{
    public static TheoryData<string> Workloads => Infrastructure.Workloads.Names;

    [Theory]
    [MemberData(nameof(Workloads))]
    public void Every_key_the_file_sets_is_one_the_server_reads(string name)
    {
        var workload = Infrastructure.Workloads.Named(name);

        var problems = workload.Environment.Select(e => ServerConfiguration.Problem(e.Key, e.Value)).OfType<string>();

        problems.Should().BeEmpty($"{name} sets only keys the server reads");
    }

    [Theory]
    [MemberData(nameof(Workloads))]
    public void Every_secret_the_server_requires_is_set(string name)
    {
        var workload = Infrastructure.Workloads.Named(name);

        ServerConfiguration.RequiredSecrets.Should().NotBeEmpty("the server requires its secrets outside Development");
        workload.Environment.Keys.Should().Contain(ServerConfiguration.RequiredSecrets, $"{name} sets every secret the server requires");
        workload.Environment.Keys.Should().Contain(ServerConfiguration.ConnectionStringNames.Select(n => $"ConnectionStrings__{n}"), $"{name} runs distributed mode");
    }

    [Theory]
    [MemberData(nameof(Workloads))]
    public void It_runs_distributed_mode_in_production_with_its_one_role(string name)
    {
        var workload = Infrastructure.Workloads.Named(name);

        workload.Environment.Should().Contain("FlashSale__Mode", "Distributed");
        workload.Environment.Should().Contain("FlashSale__Roles", workload.Role);
        workload.Environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT", "Production").Should().Be("Production", "secrets are only checked outside Development");
        workload.Environment.Keys.Should().NotContain("FlashSale__Auth__DevTokens", "dev tokens let anyone sign in as anyone");
    }

    /// <summary>The check above is only worth something if it catches a key the server does not read.</summary>
    [Theory]
    [InlineData("FlashSale__Admision__QueueCapacity", "100")]
    [InlineData("FlashSale__Auth__SigningKye", "0123456789abcdef0123456789abcdef")]
    [InlineData("FlashSale__Redis__CallTimeout", "two seconds")]
    [InlineData("FlashSale__Roles", "api,wroker")]
    [InlineData("ConnectionStrings__Reddis", "redis:6379")]
    [InlineData("ASPNETCORE_ENVIRONEMNT", "Production")]
    [InlineData("OTEL_SERVICE_NAM", "flashsale")]
    [InlineData("FLASHSALE_MODE", "Distributed")]
    public void A_key_or_value_the_server_does_not_read_is_caught(string variable, string value)
    {
        ServerConfiguration.Problem(variable, value).Should().NotBeNull();
    }

    [Fact]
    public void The_server_is_seen_to_read_what_it_reads()
    {
        ServerConfiguration.Problem("FlashSale__Admission__QueueCapacity", "100").Should().BeNull();
        ServerConfiguration.Problem("FlashSale__Gateway__Captcha__Provider", "arithmetic").Should().BeNull();
        ServerConfiguration.Problem("FlashSale__ForwardedHeaders__KnownNetworks__0", "10.0.0.0/8").Should().BeNull();
        ServerConfiguration.Problem("ASPNETCORE_HTTP_PORTS", "8080").Should().BeNull();
        ServerConfiguration.ConnectionStringNames.Should().BeEquivalentTo("Redis", "RabbitMq", "Postgres");
        ServerConfiguration.RequiredSecrets.Should().BeEquivalentTo(
            "FlashSale__AdminKey", "FlashSale__Auth__SigningKey", "FlashSale__Gateway__TokenSecret", "FlashSale__Payments__WebhookSecret");
    }

    /// <summary>
    /// The server started with exactly the file's environment (nothing from the test process), only the connection strings
    /// pointed at the test services: its options validation accepts it, it runs the file's role, it gets ready on the
    /// probed paths, and its /metrics answers the admin key as Prometheus sends it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Workloads))]
    public async Task A_server_with_exactly_this_environment_starts_in_distributed_mode_and_gets_ready(string name)
    {
        var workload = Infrastructure.Workloads.Named(name);
        var environment = workload.Environment.ToDictionary(
            e => e.Key,
            e => e.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                ? Environment.GetEnvironmentVariable(e.Key) ?? throw new InvalidOperationException($"{e.Key} is not set: run the tests with scripts/test.sh, which starts the services.")
                : e.Value);
        await using var server = ServerProcess.Exactly(environment);

        await server.StartAsync(TimeSpan.FromSeconds(90));

        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        foreach (var path in workload.ProbePaths.Append("/health/ready").Distinct())
        {
            (await StatusOnceReadyAsync(http, path)).Should().Be(HttpStatusCode.OK, $"{name} is probed on {path}");
        }
        var role = char.ToUpperInvariant(workload.Role[0]) + workload.Role[1..];
        server.Log.Should().Contain($"FlashSale ready: mode Distributed, roles {role},");

        // Prometheus scrapes /metrics with the admin key as bearer token (deploy/prometheus/prometheus.yml, the k8s note).
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "metrics");
        scrape.Headers.Authorization = new("Bearer", workload.Environment["FlashSale__AdminKey"]);
        using var scraped = await http.SendAsync(scrape);
        scraped.StatusCode.Should().Be(HttpStatusCode.OK, $"{name}'s /metrics takes its admin key as a bearer token");
        (await http.GetAsync("metrics")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a scrape without the key is refused");
    }

    /// <summary>The path's status once it is 200, or the last one after 30 s (the stores' checks may take a moment).</summary>
    private static async Task<HttpStatusCode> StatusOnceReadyAsync(HttpClient http, string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await http.GetAsync(path.TrimStart('/'));
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline) return response.StatusCode;
            await Task.Delay(200);
        }
    }
}
