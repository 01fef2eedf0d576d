using System.Diagnostics;
using FlashSale.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FlashSale.Server.Tests;

/// <summary>
/// Faults injected into real, private Redis, RabbitMQ and PostgreSQL servers in the middle of a contested
/// sale (1,000 units, limit 2, quantities 1-2, 3,000 attempts by 1,500 users retrying 503s with the same
/// requestId), then the sale is drained and audited: every 202 has its order with the right user and
/// quantity, sold ≤ stock, nobody above the limit, and the database agrees with the gate.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ChaosTests(PrivateServices services, ITestOutputHelper output) : IClassFixture<PrivateServices>, IAsyncLifetime
{
    private const int Stock = 1_000;
    private const int Limit = 2;
    private const int Users = 1_500;
    private const int Attempts = 3_000;
    private static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(2);
    private readonly List<ServerProcess> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
    }

    private async Task<ServerProcess> StartAsync(string roles)
    {
        // The fault windows and time bounds below are measured against these deadlines, so they are set here
        // rather than taken from whatever the defaults are.
        var server = services.Server(roles, new Dictionary<string, string>
        {
            ["FlashSale__Admission__GateTimeout"] = GateTimeout.ToString(),
            ["FlashSale__Redis__CallTimeout"] = "00:00:01",
        });
        _servers.Add(server);
        await server.StartAsync();
        return server;
    }

    [Fact]
    public async Task Redis_killed_while_the_ledger_holds_unrelayed_intents_restarts_from_its_aof_and_loses_nothing()
    {
        var api = await StartAsync("api");
        var worker = await StartAsync("worker");
        long unrelayed = 0;
        await RunAsync(api, "redis-kill", async (client, saleId) =>
        {
            // The worker goes first, so the intents accepted from now on wait in the ledger only.
            worker.Kill();
            var atKill = await SaleAudit.UntilAsync(client, saleId, s => s.Long("accepted") - s.Long("persisted") >= 200, TimeSpan.FromSeconds(30), "200 unrelayed units");
            unrelayed = atKill.Long("accepted") - atKill.Long("persisted");
            services.Redis.Stop(); // SIGKILL
            await Task.Delay(1_000);
            await services.Redis.StartAsync();
            await worker.StartAsync();
        });
        output.WriteLine($"units accepted but not yet relayed when redis-server was killed: >= {unrelayed}");
        unrelayed.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Losing_the_sales_gate_keys_mid_sale_rebuilds_the_gate_without_reselling()
    {
        var api = await StartAsync("api");
        var worker = await StartAsync("worker");
        await RunAsync(api, "keys-lost", async (client, saleId) =>
        {
            worker.Kill();
            await SaleAudit.UntilAsync(client, saleId, s => s.Long("accepted") - s.Long("persisted") >= 100, TimeSpan.FromSeconds(30), "100 unrelayed units");
            // Everything of the sale but its ledger: stock, user totals, seen requests, stored intents.
            var key = $"fs:{{sale:{saleId}}}";
            services.Redis.Cli("DEL", key + ":meta", key + ":users", key + ":requests", key + ":orders").Should().Be("4", "the four keys existed");
            services.Redis.Cli("EXISTS", key + ":ledger").Should().Be("1", "the ledger stays");
            await worker.StartAsync();
        });
    }

    [Fact]
    public Task RabbitMq_killed_and_restarted_mid_sale_loses_no_accepted_purchase() =>
        RunWithOutageAsync("rabbit-kill", services.RabbitMq.KillAsync, TimeSpan.FromSeconds(1), services.RabbitMq.StartAsync);

    [Fact]
    public Task PostgreSql_shut_down_immediately_and_restarted_mid_sale_loses_no_accepted_purchase() =>
        RunWithOutageAsync("pg-quit", services.Postgres.QuitAsync, TimeSpan.FromSeconds(2), services.Postgres.StartAsync);

    [Fact]
    public async Task Redis_out_of_memory_answers_503_within_the_gate_timeout_and_the_sale_continues()
    {
        var server = await StartAsync("api,worker");
        await RunWithRedisFaultAsync(server, "oom",
            () => services.Redis.Cli("CONFIG", "SET", "maxmemory-policy", "noeviction").Should().Be("OK"),
            () => services.Redis.Cli("CONFIG", "SET", "maxmemory", "1").Should().Be("OK"),
            () => services.Redis.Cli("CONFIG", "SET", "maxmemory", "0").Should().Be("OK"));
    }

    [Fact]
    public async Task Redis_turned_read_only_answers_503_within_the_gate_timeout_and_the_sale_continues()
    {
        var server = await StartAsync("api,worker");
        // The replica cannot authenticate to this master: it never syncs (which would replace its data), it only refuses writes.
        await using var master = new PrivateRedis("--requirepass", Guid.NewGuid().ToString("N"));
        await master.StartAsync();
        await RunWithRedisFaultAsync(server, "readonly",
            () => { },
            () => services.Redis.Cli("REPLICAOF", "127.0.0.1", master.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Should().Be("OK"),
            () => services.Redis.Cli("REPLICAOF", "NO", "ONE").Should().Be("OK"));
    }

    [Fact]
    public async Task Redis_stalling_answers_503_within_the_gate_timeout_and_the_sale_continues()
    {
        var server = await StartAsync("api,worker");
        Task? sleeping = null;
        await RunWithRedisFaultAsync(server, "stall",
            () => { },
            () =>
            {
                sleeping = Task.Run(() => services.Redis.Cli("DEBUG", "SLEEP", "3"));
                // The fault holds from when Redis stops answering, not from when redis-cli was started (slow on a busy box).
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (!services.Redis.IsStalled(TimeSpan.FromMilliseconds(100)))
                {
                    waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "DEBUG SLEEP takes hold");
                }
            },
            () => sleeping!.Wait(TimeSpan.FromSeconds(10)).Should().BeTrue(),
            hold: TimeSpan.FromSeconds(2));
    }

    /// <summary>The sale on one api,worker process, during which a server is stopped, stays down a while and is started again.</summary>
    private async Task RunWithOutageAsync(string name, Func<Task> stop, TimeSpan down, Func<Task> start)
    {
        var server = await StartAsync("api,worker");
        await RunAsync(server, name, async (_, _) =>
        {
            await stop();
            await Task.Delay(down);
            await start();
        });
    }

    /// <summary>
    /// A Redis that refuses (or stalls) for a while: every try that started and ended inside the fault got
    /// 503 unavailable, every try returned within the gate timeout (never the client's timeout), and once
    /// Redis is healthy again the sale sells out.
    /// </summary>
    private async Task RunWithRedisFaultAsync(ServerProcess server, string name, Action prepare, Action inject, Action restore, TimeSpan? hold = null)
    {
        prepare();
        var faultFrom = DateTime.MaxValue;
        var faultUntil = DateTime.MaxValue;
        List<PurchaseAttempt> attempts;
        try
        {
            attempts = await RunAsync(server, name, async (_, _) =>
            {
                inject();
                faultFrom = DateTime.UtcNow;
                await Task.Delay(hold ?? TimeSpan.FromSeconds(2));
                restore();
                faultUntil = DateTime.UtcNow;
            });
        }
        finally
        {
            // Whatever happened, the private Redis is healthy again for the next test.
            services.Redis.Cli("CONFIG", "SET", "maxmemory", "0");
            services.Redis.Cli("REPLICAOF", "NO", "ONE");
        }
        var tries = attempts.SelectMany(a => a.Tries).ToList();
        // Tries answered while the fault held (margins for the fault to take hold and for the answers of its end).
        var during = tries.Where(t => t.StartedAt + t.Took >= faultFrom.AddMilliseconds(200) && t.StartedAt + t.Took <= faultUntil.AddMilliseconds(-300)).ToList();
        output.WriteLine($"{name}: {during.Count} tries inside the fault: {string.Join(", ", during.GroupBy(t => $"{t.Answer.Status} {t.Answer.Code}").Select(g => $"{g.Key} x{g.Count()}"))}; " +
                         $"slowest try {tries.Max(t => t.Took).TotalMilliseconds:F0} ms");
        tries.Should().NotContain(t => t.Answer.Status == -1, "no purchase call may hang until the client gives up");
        during.Should().NotBeEmpty("purchases were in flight during the fault");
        during.Should().OnlyContain(t => t.Answer.Status == 503 && t.Answer.Code == "unavailable", "a refusing or stalled Redis is answered 503 unavailable");
        tries.Should().OnlyContain(t => t.Took <= GateTimeout + TimeSpan.FromSeconds(0.75), "every purchase answers within the gate timeout");
    }

    /// <summary>
    /// Runs the sale on <paramref name="server"/>, calls <paramref name="fault"/> once 300 units are accepted
    /// (the sale still selling), lets the crowd finish, then audits. Returns every attempt.
    /// </summary>
    private async Task<List<PurchaseAttempt>> RunAsync(ServerProcess server, string prefix, Func<FlashSaleClient, string, Task> fault)
    {
        var client = Buyers.ClientFor(server);
        var saleId = await client.CreateSaleAsync(Stock, Limit);
        var tokens = await Crowd.SignInAsync(client, Users, prefix);
        var random = new Random(7);
        var quantities = Enumerable.Range(0, Attempts).Select(_ => random.Next(4) == 0 ? 2 : 1).ToArray();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var watch = Stopwatch.StartNew();
        var load = Buyers.RunAsync([client], saleId, tokens, prefix, Attempts, i => quantities[i], concurrency: 16, pace: TimeSpan.FromMilliseconds(30), stop.Token);

        var atFault = await SaleAudit.UntilAsync(client, saleId, s => s.Long("accepted") >= 300, TimeSpan.FromSeconds(60), "300 units accepted");
        await fault(client, saleId);
        var attempts = await load;
        var sale = watch.Elapsed;
        var stats = await SaleAudit.VerifyAsync(client, SaleAudit.Postgres(services.Postgres.Source, saleId), saleId, Stock, Limit, attempts);

        var accepted = attempts.Where(a => a.Accepted).ToList();
        output.WriteLine($"{prefix}: {Stock} units, {attempts.Count} attempts ({attempts.Sum(a => a.Tries.Count)} tries), {accepted.Count} answered 202 " +
                         $"({accepted.Sum(a => a.Quantity)} units), {atFault.Long("accepted")} units accepted at the fault, sale {sale.TotalSeconds:F1} s, " +
                         $"total {watch.Elapsed.TotalSeconds:F1} s; answers: {string.Join(", ", attempts.GroupBy(a => $"{a.Final.Status} {a.Final.Code}").Select(g => $"{g.Key} x{g.Count()}"))}");
        attempts.Should().HaveCount(Attempts, "the crowd finished before its deadline");
        atFault.Long("accepted").Should().BeLessThan(Stock, "the fault came while the sale was selling");
        stats.Long("remainingInGate").Should().Be(0, "the sale continued after the fault and sold out");
        return attempts;
    }
}
