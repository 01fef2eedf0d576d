namespace FlashSale.Testing;

/// <summary>
/// The real Redis, RabbitMQ and PostgreSQL these tests run against, as `scripts/services.sh start`
/// prints them. Missing settings fail loudly: these tests are never skipped silently.
/// </summary>
public static class TestServices
{
    public static string Redis => Required("ConnectionStrings__Redis");
    public static string RabbitMq => Required("ConnectionStrings__RabbitMq");
    public static string Postgres => Required("ConnectionStrings__Postgres");

    public const string AdminKey = "test-admin-key-0123456789";
    public const string SigningKey = "test-signing-key-0123456789abcdef0123456789";
    /// <summary>The audience of the test deployment's own tokens (FlashSale:Auth:Audience); dev tokens carry flashsale-dev.</summary>
    public const string Audience = "flashsale-test";
    public const string TokenSecret = "test-token-secret-0123456789abcdef0123456789";
    public const string WebhookSecret = "test-webhook-secret-0123456789abcdef0123456789";

    /// <summary>
    /// What every test server is configured with, as configuration keys: the secrets and token audience above, dev tokens, and
    /// generous gateway limits unless a test sets its own (races and crashes are about the gate).
    /// </summary>
    public static Dictionary<string, string> ServerSettings(string roles) => new()
    {
        ["FlashSale:Roles"] = roles,
        ["FlashSale:AdminKey"] = AdminKey,
        ["FlashSale:Auth:SigningKey"] = SigningKey,
        ["FlashSale:Auth:Audience"] = Audience,
        ["FlashSale:Auth:DevTokens"] = "true",
        ["FlashSale:Gateway:TokenSecret"] = TokenSecret,
        ["FlashSale:Payments:WebhookSecret"] = WebhookSecret,
        ["FlashSale:Gateway:UserRequestsPerWindow"] = "1000",
        ["FlashSale:Gateway:IpRequestsPerWindow"] = "100000",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:FlashSale"] = "Information",
    };

    /// <summary>Distributed mode on the test services.</summary>
    public static Dictionary<string, string> DistributedSettings => new()
    {
        ["ConnectionStrings:Redis"] = Redis,
        ["ConnectionStrings:RabbitMq"] = RabbitMq,
        ["ConnectionStrings:Postgres"] = Postgres,
        ["FlashSale:Mode"] = "Distributed",
    };

    /// <summary>Embedded mode (no servers) on the given SQLite file, without the demo sale.</summary>
    public static Dictionary<string, string> EmbeddedSettings(string databasePath) => new()
    {
        ["FlashSale:Mode"] = "Embedded",
        ["FlashSale:Embedded:DatabasePath"] = databasePath,
        ["FlashSale:Embedded:DemoSale"] = "false",
    };

    /// <summary>Configuration keys as one flat map, later ones winning; keys written either way ("A:B" or "A__B").</summary>
    public static Dictionary<string, string> Merge(params IEnumerable<KeyValuePair<string, string>>?[] layers) => Flatten(layers, ":");

    /// <summary>The same, as the environment variables of a process ("A__B").</summary>
    public static Dictionary<string, string> AsEnvironment(params IEnumerable<KeyValuePair<string, string>>?[] layers) => Flatten(layers, "__");

    private static Dictionary<string, string> Flatten(IEnumerable<KeyValuePair<string, string>>?[] layers, string separator)
    {
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in layers.SelectMany(l => l ?? Enumerable.Empty<KeyValuePair<string, string>>()))
        {
            all[key.Replace("__", ":", StringComparison.Ordinal).Replace(":", separator, StringComparison.Ordinal)] = value;
        }
        return all;
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with scripts/test.sh, which starts the services (scripts/services.sh).");

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlashSale.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("FlashSale.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
