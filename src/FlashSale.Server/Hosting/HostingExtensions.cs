using FlashSale.Core.Embedded;
using FlashSale.Core.Gateway;
using FlashSale.Core.Ids;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Postgres;
using FlashSale.RabbitMq;
using FlashSale.Redis;
using FlashSale.Server.Apis;
using FlashSale.Server.Auth;
using FlashSale.Server.Http;
using FlashSale.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Server.Hosting;

public static class HostingExtensions
{
    public static WebApplicationBuilder AddFlashSaleOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FlashSaleOptions>().BindConfiguration(FlashSaleOptions.Section);
        builder.Services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RedisGateOptions>().BindConfiguration(RedisGateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<FlashSaleSettings>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));
        return builder;
    }

    public static WebApplicationBuilder AddFlashSaleAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserTokens>();
        builder.Services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>The gate, queue and store of the configured mode (FlashSale:Mode).</summary>
    public static WebApplicationBuilder AddFlashSaleAdapters(this WebApplicationBuilder builder) =>
        ReadOptions(builder).IsEmbedded ? builder.AddEmbeddedAdapters() : builder.AddDistributedAdapters();

    /// <summary>One process, no servers: the in-process gate recording to SQLite, an in-process queue and writer.</summary>
    public static WebApplicationBuilder AddEmbeddedAdapters(this WebApplicationBuilder builder)
    {
        var embedded = ReadOptions(builder).Embedded;
        builder.Services.AddSingleton(_ => new SqliteDatabase(embedded.DatabasePath, embedded.MaxDatabaseSizeMb * 1024L * 1024L));
        builder.Services.AddSingleton<SqliteFlashSaleStore>();
        builder.Services.AddSingleton<IFlashSaleStore>(sp => sp.GetRequiredService<SqliteFlashSaleStore>());
        builder.Services.AddSingleton<IInProcessLedger, SqliteInProcessLedger>();
        builder.Services.AddSingleton<InProcessOrderQueue>();
        builder.Services.AddSingleton<IOrderQueuePublisher>(sp => sp.GetRequiredService<InProcessOrderQueue>());
        builder.Services.AddSingleton<IStockGate, InProcessStockGate>();
        builder.Services.AddHostedService<InProcessOrderConsumer>();
        builder.Services.AddSingleton<IRateWindow, InMemoryRateWindow>();
        builder.Services.AddSingleton<IOnceStore, InMemoryOnceStore>();
        builder.Services.AddSingleton<IRiskSignals, InMemoryRiskSignals>();
        builder.Services.AddSingleton<IBlacklist, InMemoryBlacklist>();
        builder.Services.AddSingleton<IFunnelStore, LocalFunnelStore>();
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("sqlite");
        return builder;
    }

    /// <summary>Redis (gate and ledger), RabbitMQ (order queue) and PostgreSQL (system of record).</summary>
    public static WebApplicationBuilder AddDistributedAdapters(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var redis = Required(config, "Redis");
        var rabbit = Required(config, "RabbitMq");
        var postgres = Required(config, "Postgres");

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            RedisStockGate.CallTimeout = sp.GetRequiredService<IOptions<RedisGateOptions>>().Value.CallTimeout;
            var options = ConfigurationOptions.Parse(redis);
            options.AbortOnConnectFail = false; // start while Redis is down; the gate answers 503 until it is back
            options.ConnectTimeout = 2_000;
            options.SyncTimeout = 2_000; // asynchronous calls: FlashSale:Redis:CallTimeout (RedisStockGate.GuardAsync)
            options.ResponseTimeout = 2_000; // a connection with a reply this late is unhealthy and is replaced
            options.ConnectRetry = 1;
            options.KeepAlive = 5;
            options.ClientName = $"flashsale-{Environment.ProcessId}";
            return ConnectionMultiplexer.Connect(options);
        });
        builder.Services.AddSingleton<IStockGate>(sp => ReadOptions(builder).Gate.ToLowerInvariant() switch
        {
            "redis" => new RedisStockGate(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<RedisGateOptions>>().Value, sp.GetRequiredService<TimeProvider>()),
            "database-pessimistic" => new PostgresDatabaseGate(sp.GetRequiredService<NpgsqlDataSource>(), DatabaseGateStrategy.Pessimistic, sp.GetRequiredService<TimeProvider>()),
            "database-optimistic" => new PostgresDatabaseGate(sp.GetRequiredService<NpgsqlDataSource>(), DatabaseGateStrategy.Optimistic, sp.GetRequiredService<TimeProvider>()),
            "database-naive" => new PostgresDatabaseGate(sp.GetRequiredService<NpgsqlDataSource>(), DatabaseGateStrategy.Naive, sp.GetRequiredService<TimeProvider>()),
            var other => throw new FlashSaleConfigurationException($"FlashSale:Gate '{other}' is unknown; use redis, database-pessimistic, database-optimistic or database-naive."),
        });
        builder.Services.AddSingleton<IIntentLedger, RedisIntentLedger>();
        builder.Services.AddSingleton<IRateWindow, RedisRateWindow>();
        builder.Services.AddSingleton<IOnceStore, RedisOnceStore>();
        builder.Services.AddSingleton<IRiskSignals, RedisRiskSignals>();
        builder.Services.AddSingleton<RedisBlacklist>();
        builder.Services.AddSingleton<IBlacklist>(sp => sp.GetRequiredService<RedisBlacklist>());
        builder.Services.AddSingleton<IFunnelStore, RedisFunnelStore>();
        builder.Services.AddHostedService<RedisBlacklistSync>();
        builder.Services.AddHostedService<FunnelFlusher>();
        builder.Services.AddHostedService<WorkerIdLeaseKeeper>();

        builder.Services.AddSingleton(_ => WithDeadlines(new NpgsqlDataSourceBuilder(postgres)).Build());
        builder.Services.AddSingleton<IFlashSaleStore, PostgresFlashSaleStore>();

        builder.Services.AddSingleton(sp => new RabbitMqConnection(rabbit, $"flashsale-{Environment.ProcessId}", sp.GetRequiredService<IOptions<PipelineOptions>>().Value.CallTimeout));
        builder.Services.AddSingleton<IOrderQueuePublisher, RabbitMqOrderQueuePublisher>();

        builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis")
            .AddCheck<StoreHealthCheck>("postgres")
            .AddCheck<RabbitMqHealthCheck>("rabbitmq");
        return builder;
    }

    /// <summary>
    /// Deadlines and keep-alives for PostgreSQL, where the connection string leaves Npgsql's defaults (no
    /// keep-alive, 15 s to connect, 30 s per command): no call waits forever on a half-open connection.
    /// </summary>
    private static NpgsqlDataSourceBuilder WithDeadlines(NpgsqlDataSourceBuilder builder)
    {
        var settings = builder.ConnectionStringBuilder;
        if (settings.Timeout == 15) settings.Timeout = 5;
        if (settings.CommandTimeout == 30) settings.CommandTimeout = 10;
        if (settings.KeepAlive == 0) settings.KeepAlive = 5;
        if (!settings.TcpKeepAlive) settings.TcpKeepAlive = true;
        return builder;
    }

    /// <summary>The request path: gateway layers, catalog, admission queue and batcher, funnel.</summary>
    public static WebApplicationBuilder AddPurchaseFunnel(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FunnelCounters>();
        builder.Services.AddSingleton<ICaptcha, ArithmeticCaptcha>();
        builder.Services.AddSingleton(sp => new PurchaseTokens(System.Text.Encoding.UTF8.GetBytes(sp.GetRequiredService<FlashSaleSettings>().TokenSecret),
            sp.GetRequiredService<ICaptcha>(), sp.GetRequiredService<IOnceStore>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<PurchaseGateway>();
        builder.Services.AddSingleton<StaticPages>();
        // The client IP for the per-IP limit: X-Forwarded-For is believed only from trusted proxies (loopback by default).
        builder.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor);
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton(sp => new SnowflakeIdGenerator(sp.GetRequiredService<WorkerIdentity>().Id));
        builder.Services.AddSingleton<SaleCatalog>();
        builder.Services.AddSingleton<PurchaseAdmission>();
        builder.Services.TryAddSingleton<GateLoader>();
        builder.Services.AddSingleton<PurchaseFunnel>();
        return builder;
    }

    /// <summary>The worker role: ledger -> queue relay, the batched order writer and the compensation sweeper.</summary>
    public static WebApplicationBuilder AddOrderPipeline(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrderWriter>();
        var options = ReadOptions(builder);
        if (options.IsEmbedded || options.HasRole("worker")) builder.Services.AddHostedService<CompensationSweeper>();
        if (!options.IsEmbedded && options.HasRole("worker"))
        {
            builder.Services.AddHostedService<OrderRelay>();
            builder.Services.AddHostedService<LedgerTrimmer>();
            builder.Services.AddHostedService<RabbitMqOrderConsumer>();
        }
        return builder;
    }

    public static WebApplication MapFlashSaleApis(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<FlashSaleSettings>();
        app.MapHealthApi();
        if (!settings.RunsApi) return app;
        app.MapPages();
        app.MapSalesApi();
        app.MapGatewayApi();
        app.MapPurchaseApi();
        app.MapOrdersApi();
        app.MapAdminApi();
        if (settings.DevTokens) app.MapDevApi();
        if (app.Services.GetRequiredService<IOptions<FlashSaleOptions>>().Value.BenchEndpoints) app.MapBenchApi();
        return app;
    }

    /// <summary>
    /// Before serving: validate settings, migrate the schema (several processes may race here; one wins
    /// the lock) and lease this process's Snowflake worker id. Waits for the servers rather than failing,
    /// so processes may start before their dependencies.
    /// </summary>
    public static async Task InitializeFlashSaleAsync(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<FlashSaleSettings>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FlashSale.Startup");
        var store = app.Services.GetRequiredService<IFlashSaleStore>();
        var identity = app.Services.GetRequiredService<WorkerIdentity>();
        var stopping = app.Lifetime.ApplicationStopping;
        if (settings.Embedded)
        {
            await store.MigrateAsync(stopping); // takes the database file for this process, or throws with the reason
            identity.Assign(0); // one process owns the file: one worker id
            await CreateDemoSaleOnFirstRunAsync(app, logger);
        }
        else
        {
            await RetryAsync(logger, "PostgreSQL migration", () => store.MigrateAsync(stopping), stopping);
            var redis = app.Services.GetRequiredService<IConnectionMultiplexer>();
            await RetryAsync(logger, "worker id lease from Redis", async () => identity.Assign(await RedisWorkerIdLease.AcquireAsync(redis)), stopping);
        }
        logger.LogInformation("FlashSale ready: mode {Mode}, roles {Roles}, worker id {WorkerId}, dev tokens {DevTokens}",
            settings.Embedded ? "Embedded" : "Distributed",
            string.Join(',', new[] { settings.RunsApi ? "api" : null, settings.RunsWorker ? "worker" : null }.OfType<string>()), identity.Id, settings.DevTokens);
    }

    /// <summary>A first run (no sale yet) gets a demo sale, and the console says how to reach it.</summary>
    private static async Task CreateDemoSaleOnFirstRunAsync(WebApplication app, ILogger logger)
    {
        var options = app.Services.GetRequiredService<IOptions<FlashSaleOptions>>().Value;
        var settings = app.Services.GetRequiredService<FlashSaleSettings>();
        var sqlite = app.Services.GetRequiredService<SqliteFlashSaleStore>();
        var saleId = sqlite.AnySaleId();
        if (saleId is null && options.Embedded.DemoSale)
        {
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            var sale = new Sale(app.Services.GetRequiredService<SnowflakeIdGenerator>().NextId(), "Demo phone", "demo-phone", 1999m,
                Stock: 100, PerUserLimit: 1, StartsAt: now.AddMinutes(1), EndsAt: now.AddHours(1), PaymentTimeoutSeconds: 900);
            await sqlite.CreateSaleAsync(sale, app.Lifetime.ApplicationStopping);
            saleId = sale.Id;
            logger.LogInformation("First run: created demo sale {SaleId} (100 units, limit 1, starts {StartsAt:u})", sale.Id, sale.StartsAt);
        }
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = app.Urls.FirstOrDefault() ?? "http://localhost:5000";
            Console.WriteLine($$"""

                FlashSale (embedded mode) is running at {{url}}
                  database:  {{app.Services.GetRequiredService<SqliteDatabase>().FilePath}}
                  admin key: {{settings.AdminKey}}   (header X-Admin-Key)
                  sale page: {{(saleId is null ? "none yet: create one in the admin view" : $"{url}/sales/{saleId}")}}
                  admin:     {{url}}/admin
                  dev token: curl -s -XPOST {{url}}/api/dev/token -H 'content-type: application/json' -d '{"userId":"alice"}'

                """);
        });
    }

    private static async Task RetryAsync(ILogger logger, string what, Func<Task> action, CancellationToken stopping)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (Exception ex) when (attempt < 60 && ex is Npgsql.NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException
                                           or RedisConnectionException or RedisTimeoutException or TimeoutException)
            {
                logger.LogWarning("{What} failed (attempt {Attempt}): {Reason}; retrying", what, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), stopping);
            }
        }
    }

    private static FlashSaleOptions ReadOptions(WebApplicationBuilder builder)
    {
        var options = new FlashSaleOptions();
        builder.Configuration.GetSection(FlashSaleOptions.Section).Bind(options);
        return options;
    }

    private static string Required(IConfiguration config, string name) =>
        config.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new FlashSaleConfigurationException(
                $"ConnectionStrings:{name} is not set (env ConnectionStrings__{name}). Start the local services with `scripts/services.sh start` and export what it prints.");
}

/// <summary>The configuration cannot work; the message names the key and the fix.</summary>
public sealed class FlashSaleConfigurationException(string message) : Exception(message);
