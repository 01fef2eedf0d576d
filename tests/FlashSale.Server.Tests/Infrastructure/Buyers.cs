using System.Collections.Concurrent;
using System.Diagnostics;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>One try of a purchase attempt: its answer (0 = connection lost, -1 = the client's own timeout) and when it ran.</summary>
public sealed record PurchaseTry(PurchaseAnswer Answer, DateTime StartedAt, TimeSpan Took);

/// <summary>A purchase attempt as a real client makes it: retried with the same requestId after a 503, 429 or lost connection.</summary>
public sealed record PurchaseAttempt(int User, string UserId, int Quantity, string RequestId, IReadOnlyList<PurchaseTry> Tries)
{
    public PurchaseAnswer Final => Tries[^1].Answer;
    public bool Accepted => Final.Status == 202;

    /// <summary>Some try's answer never reached the client (or was a 503): the gate may have decided it anyway.</summary>
    public bool AnswerMayBeLost => Tries.Any(t => t.Answer.Status is 0 or -1 or 503 or 500);
}

/// <summary>Simulated buyers who retry like real clients; every call and every loop is bounded.</summary>
public static class Buyers
{
    public const int MaxTries = 12;
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A client with a timeout the tests can tell apart from a server's answer.</summary>
    public static FlashSaleClient ClientFor(ServerProcess server) => new(new HttpClient(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 64,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    { BaseAddress = server.BaseAddress, Timeout = ClientTimeout });

    public static async Task<List<PurchaseAttempt>> RunAsync(IReadOnlyList<FlashSaleClient> clients, string saleId, string[] tokens, string prefix,
        int attempts, Func<int, int> quantityOf, int concurrency, TimeSpan pace, CancellationToken stop)
    {
        var results = new ConcurrentBag<PurchaseAttempt>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, attempts), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = stop },
                async (i, _) =>
                {
                    var user = i % tokens.Length;
                    var quantity = quantityOf(i);
                    var requestId = $"attempt-{i}";
                    var ip = $"198.51.{user / 250 % 256}.{user % 250 + 1}";
                    var tries = new List<PurchaseTry>();
                    for (var t = 0; t < MaxTries; t++)
                    {
                        var client = clients[(i + t) % clients.Count];
                        var started = DateTime.UtcNow;
                        var watch = Stopwatch.StartNew();
                        PurchaseAnswer answer;
                        try
                        {
                            answer = await client.PurchaseAsync(saleId, tokens[user], quantity, requestId, clientIp: ip);
                        }
                        catch (HttpRequestException)
                        {
                            answer = new PurchaseAnswer(0, null, null, null, null);
                        }
                        catch (TaskCanceledException)
                        {
                            answer = new PurchaseAnswer(-1, null, "client_timeout", null, null);
                        }
                        tries.Add(new PurchaseTry(answer, started, watch.Elapsed));
                        // A hung call is not retried: the test reports it rather than waiting on it again and again.
                        if (answer.Status is not (0 or 503 or 429) || stop.IsCancellationRequested) break;
                        await Task.Delay(answer.Status == 0 ? 500 : 200, CancellationToken.None);
                    }
                    results.Add(new PurchaseAttempt(user, prefix + user, quantity, requestId, tries));
                    await Task.Delay(pace, CancellationToken.None);
                });
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped by the test: every attempt that was started has been recorded.
        }
        return results.ToList();
    }
}
