using FlashSale.Core.Notifications;
using FlashSale.Server.Apis;

namespace FlashSale.Server.Hosting;

/// <summary>Order notifications: the buyer's order event streams (api role) and the merchant webhook dispatcher (worker role).
/// The live signal (<see cref="IOrderNotifier"/>) comes with the pipeline, or with Redis in distributed mode; the outbox with the store.</summary>
public static class NotificationHosting
{
    public static WebApplicationBuilder AddOrderNotifications(this WebApplicationBuilder builder, FlashSaleOptions options)
    {
        var services = builder.Services;
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<NotificationOptions>>(sp => sp.GetRequiredService<FlashSaleDefaults>());
        services.AddSingleton<IValidateOptions<NotificationOptions>, FlashSaleOptionsValidator>();
        services.AddSingleton<OrderEventStreams>();
        if (options.Runs(ProcessRoles.Worker)) services.AddHostedService<MerchantWebhookDispatcher>();
        return builder;
    }
}
