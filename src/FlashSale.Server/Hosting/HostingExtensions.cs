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

    /// <summary>Redis (gate and ledger), RabbitMQ (order queue) and PostgreSQL (system of record).</summary>
    public static WebApplicationBuilder AddDistributedAdapters(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var redis = Required(config, "Redis");
        var rabbit = Required(config, "RabbitMq");
        var postgres = Required(config, "Postgres");

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(redis);
            options.AbortOnConnectFail = false; // start while Redis is down; the gate answers 503 until it is back
            options.ConnectTimeout = 2_000;
            options.SyncTimeout = 2_000;
            options.ConnectRetry = 1;
            options.KeepAlive = 5;
            options.ClientName = $"flashsale-{Environment.ProcessId}";
            return ConnectionMultiplexer.Connect(options);
        });
        builder.Services.AddSingleton<IStockGate, RedisStockGate>();
        builder.Services.AddSingleton<IIntentLedger, RedisIntentLedger>();

        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(postgres).Build());
        builder.Services.AddSingleton<IFlashSaleStore, PostgresFlashSaleStore>();

        builder.Services.AddSingleton(_ => new RabbitMqConnection(rabbit, $"flashsale-{Environment.ProcessId}"));
        builder.Services.AddSingleton<IOrderQueuePublisher, RabbitMqOrderQueuePublisher>();

        builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis")
            .AddCheck<PostgresHealthCheck>("postgres")
            .AddCheck<RabbitMqHealthCheck>("rabbitmq");
        return builder;
    }

    /// <summary>The request path: catalog, admission queue and batcher, funnel.</summary>
    public static WebApplicationBuilder AddPurchaseFunnel(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton(sp => new SnowflakeIdGenerator(sp.GetRequiredService<WorkerIdentity>().Id));
        builder.Services.AddSingleton<SaleCatalog>();
        builder.Services.AddSingleton<PurchaseAdmission>();
        builder.Services.AddSingleton<PurchaseFunnel>();
        return builder;
    }

    /// <summary>The worker role: ledger -> queue relay and the batched order writer.</summary>
    public static WebApplicationBuilder AddOrderPipeline(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrderWriter>();
        if (RunsRole(builder, "worker"))
        {
            builder.Services.AddHostedService<OrderRelay>();
            builder.Services.AddHostedService<RabbitMqOrderConsumer>();
        }
        return builder;
    }

    public static WebApplication MapFlashSaleApis(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<FlashSaleSettings>();
        app.MapHealthApi();
        if (!settings.RunsApi) return app;
        app.MapSalesApi();
        app.MapPurchaseApi();
        app.MapOrdersApi();
        app.MapAdminApi();
        if (settings.DevTokens) app.MapDevApi();
        return app;
    }

    /// <summary>
    /// Before serving: validate settings, migrate the schema (several processes may race here; one wins
    /// the lock) and draw this process's Snowflake worker id. Waits for the servers rather than failing,
    /// so processes may start before their dependencies.
    /// </summary>
    public static async Task InitializeFlashSaleAsync(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<FlashSaleSettings>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FlashSale.Startup");
        var store = app.Services.GetRequiredService<IFlashSaleStore>();
        await RetryAsync(logger, "PostgreSQL migration", () => store.MigrateAsync(app.Lifetime.ApplicationStopping), app.Lifetime.ApplicationStopping);

        var redis = app.Services.GetRequiredService<IConnectionMultiplexer>();
        var identity = app.Services.GetRequiredService<WorkerIdentity>();
        await RetryAsync(logger, "worker id from Redis", async () =>
        {
            var sequence = await redis.GetDatabase().StringIncrementAsync("fs:worker-seq");
            identity.Assign((int)(sequence % (SnowflakeIdGenerator.MaxWorkerId + 1)));
        }, app.Lifetime.ApplicationStopping);
        logger.LogInformation("FlashSale ready: roles {Roles}, worker id {WorkerId}, dev tokens {DevTokens}",
            string.Join(',', new[] { settings.RunsApi ? "api" : null, settings.RunsWorker ? "worker" : null }.OfType<string>()), identity.Id, settings.DevTokens);
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

    private static bool RunsRole(WebApplicationBuilder builder, string role)
    {
        var options = new FlashSaleOptions();
        builder.Configuration.GetSection(FlashSaleOptions.Section).Bind(options);
        return options.HasRole(role);
    }

    private static string Required(IConfiguration config, string name) =>
        config.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set (env ConnectionStrings__{name}). Start the local services with `scripts/services.sh start` and export what it prints.");
}
