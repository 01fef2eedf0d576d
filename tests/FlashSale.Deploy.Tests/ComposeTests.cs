using FlashSale.Core.Hosting;
using FlashSale.Deploy.Tests.Infrastructure;
using Npgsql;
using RabbitMQ.Client;

namespace FlashSale.Deploy.Tests;

/// <summary>
/// deploy/compose.yaml, read as compose would (no Docker engine here to run it): the three stores with their healthchecks
/// and Redis's AOF, API and worker replicas of the image built from the Dockerfile, Prometheus with the admin key as a
/// secret, and every secret a required variable that deploy/compose-env.sh (the documented way) provides.
/// </summary>
public sealed class ComposeTests
{
    private static readonly Compose ComposeFile = Compose.Load();

    [Theory]
    [InlineData("redis", "redis:7")]
    [InlineData("rabbitmq", "rabbitmq:3.")]
    [InlineData("postgres", "postgres:15")]
    public void Each_store_runs_its_major_version_with_a_healthcheck_and_a_volume(string service, string image)
    {
        var store = ComposeFile.Service(service);

        store["image"].Text.Should().StartWith(image);
        store["healthcheck"]["test"].Items.Should().NotBeEmpty();
        store["volumes"].Items.Should().ContainSingle().Which.Text.Should().MatchRegex("^[a-z-]+:/", "a named volume keeps the data");
    }

    [Fact]
    public void Redis_appends_every_write_to_its_aof_and_syncs_it_every_second()
    {
        var command = string.Join(' ', ComposeFile.Service("redis")["command"].Items.Select(i => i.Text));

        command.Should().Contain("--appendonly yes").And.Contain("--appendfsync everysec");
    }

    [Theory]
    [InlineData("api", "FLASHSALE_API_REPLICAS")]
    [InlineData("worker", "FLASHSALE_WORKER_REPLICAS")]
    public void Api_and_workers_are_replicas_of_the_image_the_dockerfile_builds_and_wait_for_healthy_stores(string service, string replicas)
    {
        var flashSale = ComposeFile.Service(service);

        flashSale["build"]["context"].Text.Should().Be("..");
        Path.GetFullPath(Path.Combine(DeployFiles.Deploy, "..", flashSale["build"]["dockerfile"].Text)).Should().Be(DeployFiles.Dockerfile);
        flashSale["image"].Text.Should().Be(ComposeFile.Service(service == "api" ? "worker" : "api")["image"].Text, "one image for both roles");
        flashSale["deploy"]["replicas"].Text.Should().MatchRegex($@"^\$\{{{replicas}:-[1-9][0-9]*\}}$", "the replica count is set from the environment, with a default");
        foreach (var store in new[] { "redis", "rabbitmq", "postgres" })
        {
            flashSale["depends_on"][store]["condition"].Text.Should().Be("service_healthy");
        }
    }

    [Fact]
    public void Every_secret_is_a_required_variable_and_the_documented_script_sets_each_with_a_strong_value()
    {
        var references = ComposeFile.Scalars().SelectMany(s => Compose.References(s.Text)).ToList();
        var required = references.Where(r => r.Operator is ":?" or "?").Select(r => r.Name).Distinct().ToList();
        var variables = Workloads.ComposeVariables;

        references.Where(r => r.Operator == "").Should().BeEmpty("a variable is either required (:?) or has a default (:-)");
        references.Where(r => r.Operator is ":-" or "-").Select(r => r.Name).Should().NotContain(required, "a secret never has a default");
        variables.Keys.Should().BeEquivalentTo(required, "deploy/compose-env.sh makes every variable compose requires, and only those");
        foreach (var (name, value) in variables)
        {
            Secrets.Weakness(name, value, minLength: 32, production: true).Should().BeNull($"{name} is random and long enough for any of the server's secrets");
        }
        var api = Compose.RawEnvironment(ComposeFile.Service("api"));
        api.Keys.Should().Contain(ServerConfiguration.RequiredSecrets);
        ServerConfiguration.RequiredSecrets.Select(secret => Compose.References(api[secret]).Single())
            .Should().OnlyContain(r => r.Operator == ":?", "compose refuses to start without a server secret");
    }

    [Fact]
    public void Without_its_secrets_compose_refuses_to_interpolate_the_services()
    {
        var act = () => Compose.Environment(ComposeFile.Service("api"), new Dictionary<string, string>());

        act.Should().Throw<InvalidOperationException>().WithMessage("*required variable FLASHSALE_ADMIN_KEY is missing a value: see docs/deployment.md*");
    }

    [Fact]
    public void The_connection_strings_parse_with_the_clients_the_server_uses_and_name_the_stores_services()
    {
        var environment = Compose.Environment(ComposeFile.Service("api"), Workloads.ComposeVariables);
        var variables = Workloads.ComposeVariables;

        var postgres = new NpgsqlConnectionStringBuilder(environment["ConnectionStrings__Postgres"]);
        postgres.Host.Should().Be("postgres");
        postgres.Database.Should().Be(ComposeFile.Service("postgres")["environment"]["POSTGRES_DB"].Text);
        postgres.Username.Should().Be(ComposeFile.Service("postgres")["environment"]["POSTGRES_USER"].Text);
        postgres.Password.Should().Be(variables["POSTGRES_PASSWORD"]);

        var rabbit = new ConnectionFactory { Uri = new Uri(environment["ConnectionStrings__RabbitMq"]) };
        (rabbit.HostName, rabbit.Port, rabbit.UserName, rabbit.Password).Should().Be(("rabbitmq", 5672, "flashsale", variables["RABBITMQ_PASSWORD"]));
        ComposeFile.Service("rabbitmq")["environment"]["RABBITMQ_DEFAULT_USER"].Text.Should().Be("flashsale");

        var redis = StackExchange.Redis.ConfigurationOptions.Parse(environment["ConnectionStrings__Redis"]);
        redis.EndPoints.Should().ContainSingle().Which.Should().BeOfType<System.Net.DnsEndPoint>()
            .Which.Should().Match<System.Net.DnsEndPoint>(e => e.Host == "redis" && e.Port == 6379);
        redis.Password.Should().Be(variables["REDIS_PASSWORD"]);
        string.Join(' ', ComposeFile.Service("redis")["command"].Items.Select(i => i.Text)).Should().Contain("--requirepass ${REDIS_PASSWORD");
    }

    [Fact]
    public void Prometheus_gets_its_rules_directory_and_the_admin_key_as_a_secret()
    {
        var prometheus = ComposeFile.Service("prometheus");

        prometheus["image"].Text.Should().StartWith("prom/prometheus:");
        prometheus["volumes"].Items.Select(v => v.Text).Should().Contain("./prometheus:/etc/prometheus:ro");
        var secret = prometheus["secrets"].Items.Should().ContainSingle().Which.Text;
        ComposeFile.Root["secrets"][secret]["environment"].Text.Should().Be("FLASHSALE_ADMIN_KEY", "the same key the services' FlashSale__AdminKey is");
        Compose.RawEnvironment(ComposeFile.Service("api"))["FlashSale__AdminKey"].Should().Be("${FLASHSALE_ADMIN_KEY:?see docs/deployment.md}");
    }
}
