using System.Collections.Concurrent;
using FlashSale.Core.Orders;

namespace FlashSale.Core.Sales;

/// <summary>
/// This process's copy of sale definitions, so the local state check (not started, ended) costs no
/// remote call. Sales never change once created, so a hit is kept; an unknown id is remembered briefly
/// so that a flood of made-up ids cannot reach the database.
/// </summary>
public sealed class SaleCatalog(IFlashSaleStore store, TimeProvider time)
{
    private static readonly TimeSpan MissingTtl = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<long, Entry> _entries = new();

    public ValueTask<Sale?> FindAsync(long saleId, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(saleId, out var entry) && (entry.Sale is not null || entry.MissingUntil > time.GetUtcNow()))
        {
            return ValueTask.FromResult(entry.Sale);
        }
        return new ValueTask<Sale?>(LoadAsync(saleId, cancellationToken));
    }

    public void Remember(Sale sale) => _entries[sale.Id] = new Entry(sale, default);

    private async Task<Sale?> LoadAsync(long saleId, CancellationToken cancellationToken)
    {
        var sale = await store.FindSaleAsync(saleId, cancellationToken).ConfigureAwait(false);
        _entries[saleId] = new Entry(sale, sale is null ? time.GetUtcNow() + MissingTtl : default);
        return sale;
    }

    private sealed record Entry(Sale? Sale, DateTimeOffset MissingUntil);
}
