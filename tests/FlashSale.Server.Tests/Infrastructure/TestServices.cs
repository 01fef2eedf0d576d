namespace FlashSale.Server.Tests.Infrastructure;

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
    public const string TokenSecret = "test-token-secret-0123456789abcdef0123456789";

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
