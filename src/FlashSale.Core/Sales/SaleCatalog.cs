using System.Collections.Concurrent;
using System.Numerics;
using FlashSale.Core.Ids;
using FlashSale.Core.Orders;

namespace FlashSale.Core.Sales;

/// <summary>
/// This process's copy of sale definitions, so the local state check (not started, ended) costs no
/// remote call. Sales never change once created, so a hit is kept (sales are made by an admin, never by a caller).
/// An unknown id costs no memory beyond a fixed table: an id no generator could have issued yet is refused
/// without a database query, and any other unknown id is remembered briefly in a slot of
/// <see cref="MissCapacity"/> (a later miss in the same slot takes it over), so a flood of made-up ids
/// reaches the database at most once per id and second, and never grows the catalog.
/// </summary>
public sealed class SaleCatalog(IFlashSaleStore store, TimeProvider time)
{
    /// <summary>Unknown ids remembered at most (a power of two).</summary>
    public const int MissCapacity = 4096;
    private static readonly int SlotShift = 64 - BitOperations.Log2(MissCapacity); // the hash's top bits pick the slot
    private static readonly TimeSpan MissingTtl = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<long, Sale> _sales = new();
    private readonly Miss?[] _misses = new Miss?[MissCapacity];

    /// <summary>Sales and unknown ids held now (diagnostics and tests).</summary>
    public int Count => _sales.Count + _misses.Count(m => m is not null);

    public ValueTask<Sale?> FindAsync(long saleId, CancellationToken cancellationToken)
    {
        if (_sales.TryGetValue(saleId, out var sale)) return ValueTask.FromResult<Sale?>(sale);
        var now = time.GetUtcNow();
        if (!SnowflakeIdGenerator.CouldHaveIssued(saleId, now)) return ValueTask.FromResult<Sale?>(null);
        if (Volatile.Read(ref _misses[Slot(saleId)]) is { } miss && miss.SaleId == saleId && miss.Until > now) return ValueTask.FromResult<Sale?>(null);
        return new ValueTask<Sale?>(LoadAsync(saleId, cancellationToken));
    }

    public void Remember(Sale sale) => _sales[sale.Id] = sale;

    private async Task<Sale?> LoadAsync(long saleId, CancellationToken cancellationToken)
    {
        var sale = await store.FindSaleAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (sale is not null) _sales[saleId] = sale;
        else Volatile.Write(ref _misses[Slot(saleId)], new Miss(saleId, time.GetUtcNow() + MissingTtl));
        return sale;
    }

    /// <summary>Fibonacci hashing: consecutive ids (one worker's, one millisecond apart) spread over the whole table.</summary>
    private static int Slot(long saleId) => (int)(unchecked((ulong)saleId * 0x9E3779B97F4A7C15UL) >> SlotShift);

    private sealed record Miss(long SaleId, DateTimeOffset Until);
}
