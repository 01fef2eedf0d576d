namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// Redis, PostgreSQL and RabbitMQ of the test class's own, on free loopback ports in temp dirs, so that a
/// test may kill them, fill them or empty them without touching the shared servers other tests use.
/// </summary>
public sealed class PrivateServices : IAsyncLifetime
{
    public PrivateRedis Redis { get; } = new();
    public PrivatePostgres Postgres { get; } = new();
    public PrivateRabbitMq RabbitMq { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Redis.StartAsync(), Postgres.StartAsync(), RabbitMq.StartAsync());

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await RabbitMq.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    /// <summary>A distributed-mode FlashSale process on these servers.</summary>
    public ServerProcess Server(string roles, IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings__Redis"] = Redis.ConnectionString,
            ["ConnectionStrings__Postgres"] = Postgres.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = RabbitMq.ConnectionString,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) all[key] = value;
        return new ServerProcess(roles, all);
    }
}
