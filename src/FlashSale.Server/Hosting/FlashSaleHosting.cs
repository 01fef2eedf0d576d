using FlashSale.Core.Gateway;
using FlashSale.Core.Ids;
using FlashSale.Core.Notifications;
using FlashSale.Core.Payments;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Reconciliation;
using FlashSale.Server.Apis;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlashSale.Server.Hosting;

/// <summary>The server's own parts, registered by area; the adapters register themselves (AddRedisGate, ...).</summary>
public static class FlashSaleHosting
{
    /// <summary>
    /// Every FlashSale:* section bound once and validated on start (each failure names its key); in Development,
    /// missing secrets are generated. Returns the process's mode and roles for wiring the adapters. Also the
    /// start-up work, first of the hosted services.
    /// </summary>
    public static FlashSaleOptions AddFlashSaleOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<FlashSaleOptions>().BindConfiguration(FlashSaleOptions.Section).ValidateOnStart();
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PaymentOptions>().BindConfiguration(PaymentOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PaymentOptions>, PaymentOptionsValidator>();
        services.AddOptions<ReconciliationOptions>().BindConfiguration(ReconciliationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<FlashSaleDefaults>();
        services.AddSingleton<IPostConfigureOptions<FlashSaleOptions>>(sp => sp.GetRequiredService<FlashSaleDefaults>());
        services.AddSingleton<IPostConfigureOptions<GatewayOptions>>(sp => sp.GetRequiredService<FlashSaleDefaults>());
        services.AddSingleton<IPostConfigureOptions<PaymentOptions>>(sp => sp.GetRequiredService<FlashSaleDefaults>());
        services.AddSingleton<IValidateOptions<FlashSaleOptions>, FlashSaleOptionsValidator>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, FlashSaleOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        // Hosted services start in the order they are added: the start-up work (schema, worker id) comes first,
        // before the adapters' workers and before the server listens.
        services.AddHostedService<StartupInitializer>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, FlashSaleJson.Resolver));
        return FlashSaleOptions.Read(builder.Configuration);
    }

    public static WebApplicationBuilder AddFlashSaleAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserTokens>();
        builder.Services.AddSingleton<AdminGuard>();
        builder.Services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>The request path: the funnel and its layers (gateway, sale catalog, admission, gate loader) and the pages.</summary>
    public static WebApplicationBuilder AddPurchaseFunnel(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<FunnelCounters>();
        // The captcha named by FlashSale:Gateway:Captcha:Provider (checked on start); a host adds its own with AddCaptchaProvider.
        services.AddCaptcha();
        services.AddSingleton(sp => new PurchaseTokens(System.Text.Encoding.UTF8.GetBytes(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.TokenSecret!),
            sp.GetRequiredService<ICaptcha>(), sp.GetRequiredService<IOnceStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<CaptchaOptions>>().Value.Timeout));
        services.AddSingleton<PurchaseGateway>();
        services.AddSingleton<StaticPages>();
        // The client IP for the per-IP limit, the IP blacklist and the users-per-IP signal: X-Forwarded-For is believed only
        // from the configured proxies (loopback when none is). After every other configuration, ASPNETCORE_FORWARDEDHEADERS_ENABLED's included.
        services.AddOptions<ForwardedHeadersOptions>().PostConfigure<IOptions<FlashSaleOptions>>((o, flashSale) => flashSale.Value.ForwardedHeaders.ApplyTo(o));
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton(sp => new SnowflakeIdGenerator(sp.GetRequiredService<WorkerIdentity>().Id));
        services.AddSingleton<SaleCatalog>();
        services.AddSingleton<PurchaseAdmission>();
        services.AddSingleton<IClosedFlags>(sp => sp.GetRequiredService<PurchaseAdmission>());
        services.TryAddSingleton<GateLoader>();
        services.AddSingleton<PurchaseFunnel>();
        return builder;
    }

    /// <summary>
    /// The worker role: the batched order writer and the compensation sweeper; in distributed mode also the
    /// ledger -> queue relay and the ledger trimmer (the queue's consumer comes with the RabbitMQ adapter).
    /// </summary>
    public static WebApplicationBuilder AddOrderPipeline(this WebApplicationBuilder builder, FlashSaleOptions options)
    {
        builder.Services.AddSingleton<OrderWriter>();
        // Live order signals: in-process by default; the Redis adapter replaces the notifier with one that also
        // reaches the other processes.
        builder.Services.TryAddSingleton<InProcessOrderNotifier>();
        builder.Services.TryAddSingleton<IOrderNotifier>(sp => sp.GetRequiredService<InProcessOrderNotifier>());
        if (!options.Runs(ProcessRoles.Worker)) return builder;
        builder.Services.AddHostedService<CompensationSweeper>();
        if (options.Mode == FlashSaleMode.Distributed)
        {
            builder.Services.AddHostedService<OrderRelay>();
            builder.Services.AddHostedService<LedgerTrimmer>();
        }
        return builder;
    }

    /// <summary>
    /// The order's life after the 202: payment (the configured providers, the sandbox built in; every outcome through
    /// the webhook's code path), cancellation, and in the worker role the payment timeout and the refund worker.
    /// </summary>
    public static WebApplicationBuilder AddOrderLifecycle(this WebApplicationBuilder builder, FlashSaleOptions options)
    {
        var services = builder.Services;
        services.AddSingleton(sp => WebhookSignature.For(sp.GetRequiredService<IOptions<PaymentOptions>>().Value));
        services.AddSingleton<PaymentWebhook>();
        services.AddSingleton<RefundSignal>();
        services.AddSingleton<PaymentRecorder>();
        services.AddSingleton<IPaymentEventSink>(sp => sp.GetRequiredService<PaymentRecorder>());
        services.AddSingleton<IPaymentProvider>(sp => new SandboxPaymentProvider(sp.GetRequiredService<WebhookSignature>(), sp.GetRequiredService<IPaymentEventSink>()));
        services.AddSingleton<Checkout>();
        services.AddSingleton<OrderCancellation>();
        if (!options.Runs(ProcessRoles.Worker)) return builder;
        services.AddHostedService<PaymentTimeoutWorker>();
        services.AddHostedService<RefundWorker>();
        return builder;
    }

    /// <summary>The reconciler over the adapters' read-only views; in the worker role, also its periodic run (FlashSale:Reconciliation:Periodic).</summary>
    public static WebApplicationBuilder AddReconciliation(this WebApplicationBuilder builder, FlashSaleOptions options)
    {
        builder.Services.AddSingleton<SaleReconciler>();
        builder.Services.TryAddSingleton<GateLoader>();
        if (options.Runs(ProcessRoles.Worker)) builder.Services.AddHostedService<ReconciliationWorker>();
        return builder;
    }
}
