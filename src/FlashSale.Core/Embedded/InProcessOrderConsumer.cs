using FlashSale.Core.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Embedded;

/// <summary>
/// Embedded mode's order writer loop: first queues what the ledger holds without an order (a previous
/// run's unfinished work), then writes batches from the in-process queue through <see cref="OrderWriter"/>,
/// the same batching, isolation and compensation as the RabbitMQ consumer.
/// </summary>
public sealed class InProcessOrderConsumer(
    InProcessOrderQueue queue,
    IInProcessLedger ledger,
    OrderWriter writer,
    IOptions<PipelineOptions> options,
    ILogger<InProcessOrderConsumer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var unwritten = await ledger.LoadUnwrittenAsync(stoppingToken).ConfigureAwait(false);
        if (unwritten.Count > 0)
        {
            logger.LogInformation("Recovering {Count} accepted orders not yet written", unwritten.Count);
            await queue.PublishAsync(unwritten, stoppingToken).ConfigureAwait(false);
        }

        var opts = options.Value;
        var batch = new List<DeliveredIntent>(opts.WriterBatchSize);
        var reader = queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < opts.WriterBatchSize && reader.TryRead(out var d)) batch.Add(d);
                await WriteAsync(batch, opts, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(List<DeliveredIntent> batch, PipelineOptions opts, CancellationToken stoppingToken)
    {
        var outcomes = await writer.WriteRetryingAsync(batch, stoppingToken).ConfigureAwait(false);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] == WriteOutcome.Retry) _ = RedeliverLaterAsync(batch[i], opts.RetryDelay(batch[i].PreviousDeliveries), stoppingToken);
        }
    }

    private async Task RedeliverLaterAsync(DeliveredIntent delivered, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            queue.Redeliver(delivered);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the ledger still holds it, and the next start queues it again.
        }
    }
}
