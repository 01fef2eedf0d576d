using System.Reflection;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>A configuration that cannot work stops the start with exit code 2 and a message that names the key.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConfigurationTests : EmbeddedDatabaseTest
{
    /// <summary>A setting, a value that cannot work, and what the refusal must say.</summary>
    public static readonly TheoryData<string, string, string> Unworkable = new()
    {
        { "FlashSale__Mode", "Embeded", "FlashSale:Mode" },
        { "FlashSale__Roles", "api,wroker", "FlashSale:Roles" },
        { "FlashSale__Roles", "api", "embedded mode runs api and worker in one process" },
        { "FlashSale__AdminKey", "too-short", "FlashSale:AdminKey must be at least 16 characters" },
        { "FlashSale__Auth__SigningKey", "", "FlashSale:Auth:SigningKey is required outside Development" },
        { "FlashSale__Auth__SigningKey", "change-me-32-characters-at-least!!", "FlashSale:Auth:SigningKey is a placeholder" },
        { "FlashSale__AdminKey", "aaaaaaaaaaaaaaaaaaaa", "FlashSale:AdminKey has too little variety" },
        { "FlashSale__Gateway__TokenSecret", "", "FlashSale:Gateway:TokenSecret is required outside Development" },
        { "FlashSale__Gateway__Captcha__Provider", "recaptcha", "FlashSale:Gateway:Captcha:Provider 'recaptcha' is unknown; use arithmetic" },
        { "FlashSale__Payments__WebhookSecret", "", "FlashSale:Payments:WebhookSecret is required outside Development" },
        { "FlashSale__Payments__WebhookSecret", "change-me-webhook-secret-32-characters", "FlashSale:Payments:WebhookSecret is a placeholder" },
        { "FlashSale__Payments__Currency", "yuan", "FlashSale:Payments:Currency must be an ISO 4217 code" },
        { "FlashSale__Payments__TimeoutSweepInterval", "00:00:00", "FlashSale:Payments:TimeoutSweepInterval must be between" },
        { "FlashSale__Admission__MaxBatchSize", "0", "MaxBatchSize" },
        { "FlashSale__Embedded__MaxDatabaseSizeMb", "0", "MaxDatabaseSizeMb" },
        { "FlashSale__Gateway__ChallengeWindow", "00:00:00", "ChallengeWindow" },
        { "FlashSale__ForwardedHeaders__KnownProxies__0", "10.0.0.300", "FlashSale:ForwardedHeaders:KnownProxies:0 '10.0.0.300' is not an IP address" },
        { "FlashSale__ForwardedHeaders__KnownProxies__0", "10.0.0.0/8", "FlashSale:ForwardedHeaders:KnownProxies:0 '10.0.0.0/8' is not an IP address" },
        { "FlashSale__ForwardedHeaders__KnownNetworks__0", "10.0.0.1/8", "FlashSale:ForwardedHeaders:KnownNetworks:0 '10.0.0.1/8' is not a network" },
        { "FlashSale__ForwardedHeaders__KnownNetworks__0", "10.0.0.0", "FlashSale:ForwardedHeaders:KnownNetworks:0 '10.0.0.0' is not a network" },
        { "FlashSale__ForwardedHeaders__KnownNetworks__0", "2001:db8::/129", "FlashSale:ForwardedHeaders:KnownNetworks:0" },
        { "FlashSale__ForwardedHeaders__KnownNetworks__0", "0.0.0.0/0", "at least /8 (IPv4)" },
        { "FlashSale__Metrics__SampleInterval", "00:00:00.100", "FlashSale:Metrics:SampleInterval '00:00:00.1000000' must be between" },
        { "FlashSale__Metrics__RequireAdminKey", "sometimes", "FlashSale:Metrics:RequireAdminKey" },
    };

    [Theory]
    [MemberData(nameof(Unworkable))]
    public async Task A_setting_that_cannot_work_stops_the_start_naming_its_key(string key, string value, string message)
    {
        await using var server = ServerProcess.Embedded(Database.Path, new Dictionary<string, string> { [key] = value });

        var exitCode = await server.StartExpectingExitAsync(TimeSpan.FromSeconds(30));

        exitCode.Should().Be(2, server.Log);
        server.Log.Should().Contain("FlashSale cannot start").And.Contain(message);
    }

    [Fact]
    public async Task An_embedded_production_start_prints_no_secret_and_warns_when_dev_tokens_are_on()
    {
        await using var server = ServerProcess.Embedded(Database.Path); // Production, dev tokens turned on by the test settings
        await server.StartAsync();
        await Eventually.UntilAsync(() => Task.FromResult(server.Log.Contains("is running at", StringComparison.Ordinal)));

        server.Log.Should().NotContain(TestServices.AdminKey).And.Contain("the configured FlashSale:AdminKey");
        server.Log.Should().NotContain(TestServices.SigningKey).And.NotContain(TestServices.TokenSecret).And.NotContain(TestServices.WebhookSecret);
        server.Log.Should().Contain("DEV TOKENS ARE ON outside Development");
    }

    [Fact]
    public void The_production_binary_holds_no_gate_but_the_redis_and_the_in_process_one()
    {
        // The benchmark's database baselines (one oversells on purpose) live in the benchmark, never in what ships.
        var folder = Path.GetDirectoryName(ServerProcess.ServerDll)!;
        var shipped = Directory.GetFiles(folder, "FlashSale.*.dll").Select(path => Assembly.LoadFrom(path)).ToList();
        shipped.Select(a => a.GetName().Name).Should().Contain("FlashSale.Server").And.NotContain("FlashSale.Bench");
        var gateInterface = shipped.Single(a => a.GetName().Name == "FlashSale.Core").GetType("FlashSale.Core.Purchasing.IStockGate", throwOnError: true)!;

        var gates = shipped.SelectMany(a => a.GetTypes()).Where(t => t is { IsClass: true, IsAbstract: false } && gateInterface.IsAssignableFrom(t)).Select(t => t.Name);

        gates.Should().BeEquivalentTo("RedisStockGate", "InProcessStockGate");
    }
}
