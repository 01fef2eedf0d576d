using FlashSale.Core.Hosting;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FlashSale.RabbitMq;

public static class RabbitMqHosting
{
    /// <summary>
    /// RabbitMQ as the order queue: the publisher the relay uses, the queue's reconciliation view, the "rabbitmq"
    /// health check and, with <paramref name="consume"/> (the worker role), the consumer feeding the order writer.
    /// ConnectionStrings:RabbitMq; deadlines from FlashSale:Pipeline.
    /// </summary>
    public static IHostApplicationBuilder AddRabbitMqOrderQueue(this IHostApplicationBuilder builder, bool consume)
    {
        var connectionString = ConnectionStrings.Required(builder.Configuration, "RabbitMq");
        var services = builder.Services;
        services.AddSingleton(sp => new RabbitMqConnection(connectionString, $"flashsale-{Environment.ProcessId}",
            sp.GetRequiredService<IOptions<PipelineOptions>>().Value.CallTimeout));
        services.AddSingleton<RabbitMqOrderQueuePublisher>();
        services.AddSingleton<IOrderQueuePublisher>(sp => sp.GetRequiredService<RabbitMqOrderQueuePublisher>());
        services.AddSingleton<IQueueAudit, RabbitMqQueueAudit>();
        if (consume) services.AddHostedService<RabbitMqOrderConsumer>();
        services.AddHealthChecks().AddCheck<RabbitMqHealthCheck>("rabbitmq");
        return builder;
    }
}

internal sealed class RabbitMqHealthCheck(RabbitMqConnection connection) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await connection.GetAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("RabbitMQ unreachable", ex);
        }
    }
}
