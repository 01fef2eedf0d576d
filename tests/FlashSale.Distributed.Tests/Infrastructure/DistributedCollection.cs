namespace FlashSale.Distributed.Tests.Infrastructure;

/// <summary>
/// Tests in this collection share one Redis, RabbitMQ and PostgreSQL and start server processes that
/// all consume the one order queue: they run one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedCollection
{
    public const string Name = "distributed";
}
