namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// Tests in this collection start server processes; the distributed ones share one Redis, RabbitMQ and
/// PostgreSQL and all consume the one order queue, and all of them load both cores: they run one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerCollection
{
    public const string Name = "servers";
}
