using System.Globalization;
using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>The order lifecycle under a race (<see cref="LifecycleRace"/>) against one embedded server (in-process gate, SQLite).</summary>
[Collection(AloneCollection.Name)]
public sealed class EmbeddedLifecycleRaceTests : ApiTest
{
    [Fact]
    public Task Every_order_ends_one_way_and_every_returned_unit_sells_again_once() =>
        LifecycleRace.RunAsync([Client], saleId => Database.BookAsync(long.Parse(saleId, CultureInfo.InvariantCulture)));
}
