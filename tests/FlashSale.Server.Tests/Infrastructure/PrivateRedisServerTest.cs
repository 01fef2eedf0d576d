namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// One api,worker server on a Redis of its own, which the test may stop and start (<see cref="Redis"/>); the rest of the
/// services are the shared ones. Its gate calls time out after 500 ms, so an outage is answered quickly.
/// </summary>
public abstract class PrivateRedisServerTest : ServerProcessTest
{
    protected PrivateRedisServerTest(IDictionary<string, string>? settings = null)
        : this(new PrivateRedis(), settings)
    {
    }

    private PrivateRedisServerTest(PrivateRedis redis, IDictionary<string, string>? settings)
        : base(new ServerProcess("api,worker", TestServices.AsEnvironment(new Dictionary<string, string>
        {
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["FlashSale__Admission__GateTimeout"] = "00:00:00.500",
            ["FlashSale__Redis__CallTimeout"] = "00:00:00.500",
        }, settings))) => Redis = redis;

    protected PrivateRedis Redis { get; }

    protected override Task StartServicesAsync() => Redis.StartAsync();

    protected override ValueTask StopServicesAsync() => Redis.DisposeAsync();
}
