using System.Collections.Concurrent;

namespace FlashSale.Testing;

/// <summary>Simulated buyers: signs users in and fires purchase attempts with bounded concurrency.</summary>
public static class Crowd
{
    public static async Task<string[]> SignInAsync(FlashSaleClient client, int users, string prefix)
    {
        var tokens = new string[users];
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => tokens[i] = await client.TokenAsync($"{prefix}{i}"));
        return tokens;
    }

    /// <summary>The answers to every attempt; a connection error (a killed server) is recorded as status 0.</summary>
    public static async Task<ConcurrentBag<(int User, int Quantity, PurchaseAnswer Answer)>> RaceAsync(
        IReadOnlyList<FlashSaleClient> servers, string saleId, string[] tokens, int attempts, Func<int, int> quantityOf,
        int concurrency = 256, CancellationToken cancellationToken = default, TimeSpan? pace = null)
    {
        var answers = new ConcurrentBag<(int, int, PurchaseAnswer)>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, attempts), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, _) =>
            {
                var user = i % tokens.Length;
                var quantity = quantityOf(i);
                var client = servers[i % servers.Count];
                try
                {
                    // Each simulated user comes from an address of its own (TEST-NET-2 range, in a header only).
                    var ip = $"198.51.{user / 250 % 256}.{user % 250 + 1}";
                    answers.Add((user, quantity, await client.PurchaseAsync(saleId, tokens[user], quantity, $"attempt-{i}", clientIp: ip)));
                }
                catch (HttpRequestException)
                {
                    answers.Add((user, quantity, new PurchaseAnswer(0, null, null, null, null)));
                }
                catch (TaskCanceledException)
                {
                    answers.Add((user, quantity, new PurchaseAnswer(0, null, null, null, null)));
                }
                if (pace is { } delay) await Task.Delay(delay, CancellationToken.None);
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller stopped the crowd; every attempt that was sent has its answer recorded.
        }
        return answers;
    }
}
