using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;

namespace FlashSale.Adapters.Tests;

internal static class TestEnvironment
{
    public static string Redis => Required("ConnectionStrings__Redis");
    public static string Postgres => Required("ConnectionStrings__Postgres");

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with scripts/test.sh, which starts the services.");

    private static long _nextId = Random.Shared.NextInt64(1L << 40, 1L << 50);

    /// <summary>Ids that no other test run has used, so tests can share one Redis and one database.</summary>
    public static long NewId() => Interlocked.Increment(ref _nextId);

    public static Sale NewSale(int stock, int perUserLimit, TimeSpan? startsIn = null, TimeSpan? lasts = null)
    {
        var starts = DateTimeOffset.UtcNow + (startsIn ?? TimeSpan.FromMinutes(-1));
        return new Sale(NewId(), "Contract phone", "sku", 10.50m, stock, perUserLimit, starts, starts + (lasts ?? TimeSpan.FromHours(1)), 900);
    }
}

/// <summary>Purchase requests with order ids no other test uses, and a batch of them decided by a gate.</summary>
internal static class Purchases
{
    public static PurchaseRequest Request(string user, int quantity = 1, string? requestId = null) =>
        new(user, requestId ?? Guid.NewGuid().ToString("N"), quantity, TestEnvironment.NewId());

    public static async Task<GateDecision[]> DecideAsync(IStockGate gate, long saleId, params PurchaseRequest[] requests)
    {
        var decisions = new GateDecision[requests.Length];
        await gate.DecideAsync(saleId, requests, decisions, CancellationToken.None);
        return decisions;
    }
}
