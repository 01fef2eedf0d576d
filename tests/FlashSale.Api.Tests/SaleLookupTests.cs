using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Orders;
using FlashSale.Core.Sales;
using FlashSale.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlashSale.Api.Tests;

/// <summary>
/// Calls about a sale find it through the process's catalog: a flood of made-up sale ids on <c>orders/mine</c> does not
/// reach the database once per request.
/// </summary>
public sealed class SaleLookupTests() : ApiTest(services: services => services.Replace(ServiceDescriptor.Singleton<IFlashSaleStore>(sp =>
    CountingStore.Wrap(sp.GetRequiredService<SqliteFlashSaleStore>()))))
{
    [Fact]
    public async Task My_orders_of_an_unknown_sale_are_404_sale_not_found_from_the_catalog_not_a_query_each()
    {
        var token = await Client.TokenAsync("alice");
        const long madeUp = 987654321;

        for (var i = 0; i < 30; i++)
        {
            var (status, body) = await Client.GetAsync($"api/sales/{madeUp}/orders/mine", token);
            (status, body?["code"]?.GetValue<string>()).Should().Be((404, "sale_not_found"));
        }

        // The catalog remembers an unknown id for a second: a few lookups at most, not thirty.
        CountingStore.SaleLookups.GetValueOrDefault(madeUp).Should().BeLessThan(10);
        CountingStore.UserOrderQueries.GetValueOrDefault(madeUp).Should().Be(0);
    }

    /// <summary>The store, counting the sale lookups and order queries made per sale id (a proxy: the interface is large;
    /// DispatchProxy needs a class it can derive from, so not sealed).</summary>
    public class CountingStore : DispatchProxy
    {
        public static ConcurrentDictionary<long, int> SaleLookups { get; } = new();
        public static ConcurrentDictionary<long, int> UserOrderQueries { get; } = new();
        private IFlashSaleStore _inner = null!;

        public static IFlashSaleStore Wrap(IFlashSaleStore inner)
        {
            var proxy = Create<IFlashSaleStore, CountingStore>();
            ((CountingStore)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IFlashSaleStore.FindSaleAsync)) SaleLookups.AddOrUpdate((long)args![0]!, 1, (_, n) => n + 1);
            if (targetMethod.Name == nameof(IFlashSaleStore.GetUserOrdersAsync)) UserOrderQueries.AddOrUpdate((long)args![0]!, 1, (_, n) => n + 1);
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }
    }
}
