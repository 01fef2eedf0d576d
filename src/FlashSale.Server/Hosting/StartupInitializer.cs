using FlashSale.Core.Ids;
using FlashSale.Core.Workers;
using FlashSale.Sqlite;

namespace FlashSale.Server.Hosting;

/// <summary>
/// Before anything is served: migrate the schema (several processes may race here; one wins the lock) and
/// take this process's worker id. Distributed mode waits for its servers rather than failing, so processes
/// may start before their dependencies; embedded mode takes the database file or says why it cannot.
/// A first embedded run gets a demo sale, and the console says how to reach it.
/// </summary>
public sealed class StartupInitializer(
    IServiceProvider services,
    IOptions<FlashSaleOptions> options,
    FlashSaleDefaults defaults,
    IFlashSaleStore store,
    IWorkerIdSource workerIds,
    WorkerIdentity identity,
    IHostApplicationLifetime lifetime,
    IHostEnvironment environment,
    ILogger<StartupInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        foreach (var key in defaults.Generated) logger.LogWarning("{Key} is not set; generated one for this Development run", key);
        if (o.Mode == FlashSaleMode.Embedded)
        {
            await store.MigrateAsync(cancellationToken); // takes the database file for this process, or throws with the reason
            identity.Assign(await workerIds.AcquireAsync(cancellationToken));
            await CreateDemoSaleOnFirstRunAsync(o, cancellationToken);
        }
        else
        {
            await StartupRetry.RunAsync(logger, "PostgreSQL migration", () => store.MigrateAsync(cancellationToken), cancellationToken);
            await StartupRetry.RunAsync(logger, "worker id lease from Redis", async () => identity.Assign(await workerIds.AcquireAsync(cancellationToken)), cancellationToken);
        }
        if (o.Auth.DevTokens == true && !environment.IsDevelopment())
        {
            logger.LogWarning("DEV TOKENS ARE ON outside Development (FlashSale:Auth:DevTokens): anyone can sign in as anyone through POST /api/dev/token. Never in production.");
        }
        logger.LogInformation("FlashSale ready: mode {Mode}, roles {Roles}, worker id {WorkerId}, dev tokens {DevTokens}",
            o.Mode, o.Roles, identity.Id, o.Auth.DevTokens);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CreateDemoSaleOnFirstRunAsync(FlashSaleOptions o, CancellationToken cancellationToken)
    {
        var embedded = services.GetRequiredService<IOptions<EmbeddedOptions>>().Value;
        var sqlite = services.GetRequiredService<SqliteFlashSaleStore>();
        var saleId = sqlite.AnySaleId();
        if (saleId is null && embedded.DemoSale)
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var sale = new Sale(services.GetRequiredService<SnowflakeIdGenerator>().NextId(), "Demo phone", "demo-phone", 1999m,
                Stock: 100, PerUserLimit: 1, StartsAt: now.AddMinutes(1), EndsAt: now.AddHours(1), PaymentTimeoutSeconds: 900);
            await sqlite.CreateSaleAsync(sale, cancellationToken);
            saleId = sale.Id;
            logger.LogInformation("First run: created demo sale {SaleId} (100 units, limit 1, starts {StartsAt:u})", sale.Id, sale.StartsAt);
        }
        var database = services.GetRequiredService<SqliteDatabase>().FilePath;
        lifetime.ApplicationStarted.Register(() =>
        {
            var url = services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5000";
            // Secrets are printed in Development only: a production log is read by more people than the key's owners.
            var adminKey = environment.IsDevelopment() ? o.AdminKey : "the configured FlashSale:AdminKey";
            var devToken = o.Auth.DevTokens == true
                ? $$"""curl -s -XPOST {{url}}/api/dev/token -H 'content-type: application/json' -d '{"userId":"alice"}'"""
                : "off (FlashSale:Auth:DevTokens)";
            var salePage = saleId is null ? "none yet: create one in the admin view" : $"{url}/sales/{saleId}";
            if (!environment.IsDevelopment())
            {
                // Outside Development the console is a JSON log, one object per line: the banner is one of them.
                logger.LogInformation("FlashSale (embedded mode) is running at {Url}: database {Database}, admin key {AdminKey}, sale page {SalePage}, admin {Admin}, dev token {DevToken}",
                    url, database, adminKey, salePage, $"{url}/admin", devToken);
                return;
            }
            Console.WriteLine($$"""

                FlashSale (embedded mode) is running at {{url}}
                  database:  {{database}}
                  admin key: {{adminKey}}   (header X-Admin-Key)
                  sale page: {{salePage}}
                  admin:     {{url}}/admin
                  dev token: {{devToken}}

                """);
        });
    }
}

/// <summary>Start-up waits for servers that are not up yet: transient failures are retried (1 s, 2 s, ... 5 s apart, 60 tries).</summary>
internal static class StartupRetry
{
    private static readonly Backoff Wait = Backoff.Linear(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    public static async Task RunAsync(ILogger logger, string what, Func<Task> action, CancellationToken stopping)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (Exception ex) when (attempt < 60 && IsTransient(ex))
            {
                logger.LogWarning("{What} failed (attempt {Attempt}): {Reason}; retrying", what, attempt, ex.Message);
                await Task.Delay(Wait.Delay(attempt), stopping);
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex is Npgsql.NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException
        or StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException or TimeoutException;
}
