using System.Globalization;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// The order lifecycle under a race (<see cref="LifecycleRace"/>) on two API+worker processes sharing one Redis,
/// RabbitMQ and PostgreSQL: both sweep the payment timeout, both give units back to the one gate.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LifecycleRaceTests() : ServerProcessTest(new ServerProcess("api,worker"), new ServerProcess("api,worker"))
{
    [Fact]
    public Task Every_order_ends_one_way_and_every_returned_unit_sells_again_once() =>
        LifecycleRace.RunAsync(Clients, saleId => Database.BookAsync(long.Parse(saleId, CultureInfo.InvariantCulture)));
}
