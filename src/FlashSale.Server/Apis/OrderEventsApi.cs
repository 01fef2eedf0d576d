using System.Buffers;
using System.Text;
using System.Threading.Channels;
using FlashSale.Core.Notifications;
using FlashSale.Core.Pipeline;
using Microsoft.AspNetCore.Http.Features;

namespace FlashSale.Server.Apis;

/// <summary>
/// <c>GET /api/orders/{orderId}/events</c>: the caller's order as a server-sent event stream. The first <c>status</c>
/// event is the order as <c>GET /api/orders/{orderId}</c> answers it; another follows each time that answer changes,
/// and the stream ends after a final status (paid, cancelled, failed). A change is noticed by the process's
/// <see cref="InProcessOrderNotifier"/> signal (fed across processes by Redis pub/sub in distributed mode) or, should a
/// signal be lost, by re-reading the order every <see cref="NotificationOptions.StreamRecheck"/>. Someone else's or an
/// unknown order is a 404 exactly like GET's.
/// </summary>
public static class OrderEventsApi
{
    public const string MediaType = "text/event-stream";

    internal static async Task<IResult> StreamAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate, InProcessOrderNotifier notifier, OrderEventStreams streams,
        TimeProvider time, IHostApplicationLifetime lifetime, IOptions<PipelineOptions> pipeline, IOptions<NotificationOptions> options)
    {
        if (!long.TryParse(orderId, out var id)) return Problems.OrderNotFound;
        if (!streams.TryOpen()) return Problems.StreamsBusy;
        try
        {
            var user = context.User.UserId();
            var timeout = pipeline.Value.CallTimeout;
            var wake = new Wake();
            // Subscribed before the first read, so a change between that read and the subscription still wakes the stream.
            using var subscription = notifier.Subscribe(id, wake.Signal);
            OrderResponse? order;
            try
            {
                order = await OrdersApi.FindOwnOrderAsync(id, user, store, gate, timeout, context.RequestAborted);
            }
            catch (Exception ex) when (OrdersApi.IsUnavailable(ex, context.RequestAborted))
            {
                return Problems.Unavailable;
            }
            if (order is null) return Problems.OrderNotFound;

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            // Serialized with the HTTP API's own options, so an event's data is byte for byte what GET answers.
            var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var stream = new EventWriter(context.Response, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<OrderResponse>)json.GetTypeInfo(typeof(OrderResponse)));
            try
            {
                await stream.StartAsync(stop.Token);
                var last = await stream.StatusAsync(order, stop.Token);
                if (IsFinal(order.Status)) return Results.Empty;

                var o = options.Value;
                var tick = o.StreamRecheck < o.StreamHeartbeat ? o.StreamRecheck : o.StreamHeartbeat;
                using var timer = time.CreateTimer(static w => ((Wake)w!).Tick(), wake, tick, tick);
                var lastWrite = time.GetTimestamp();
                var lastRead = lastWrite;
                while (await wake.WaitAsync(stop.Token) is var signalled)
                {
                    OrderResponse? current = null;
                    if (signalled || time.GetElapsedTime(lastRead) >= o.StreamRecheck)
                    {
                        lastRead = time.GetTimestamp();
                        try
                        {
                            current = await OrdersApi.FindOwnOrderAsync(id, user, store, gate, timeout, stop.Token);
                        }
                        catch (Exception ex) when (OrdersApi.IsUnavailable(ex, stop.Token))
                        {
                            // The store or the gate is down for now: the next recheck reads again.
                        }
                    }
                    if (current is not null && stream.Json(current) is var data && !data.AsSpan().SequenceEqual(last))
                    {
                        last = await stream.StatusAsync(data, stop.Token);
                        lastWrite = time.GetTimestamp();
                        if (IsFinal(current.Status)) break;
                    }
                    else if (time.GetElapsedTime(lastWrite) >= o.StreamHeartbeat)
                    {
                        await stream.KeepAliveAsync(stop.Token);
                        lastWrite = time.GetTimestamp();
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException && stop.IsCancellationRequested)
            {
                // The client left, or the server is stopping: the stream just ends.
            }
            return Results.Empty;
        }
        finally
        {
            streams.Close();
        }
    }

    /// <summary>
    /// What wakes a stream: a change signal (the order is read again at once) or the timer's tick (a heartbeat, and a
    /// read once <see cref="NotificationOptions.StreamRecheck"/> has passed). One wake-up at most is pending: wakes that
    /// pile up say nothing more. Signal and tick run on other threads and only write here; nothing waits under a lock.
    /// </summary>
    private sealed class Wake
    {
        private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        private int _signalled;

        public void Signal(OrderChanged change)
        {
            Volatile.Write(ref _signalled, 1);
            _channel.Writer.TryWrite(true);
        }

        public void Tick() => _channel.Writer.TryWrite(true);

        /// <summary>Waits for the next wake; true when a signal came since the last one.</summary>
        public async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
        {
            await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return Interlocked.Exchange(ref _signalled, 0) == 1;
        }
    }

    private static bool IsFinal(string status) => status is OrderStatus.Paid or OrderStatus.Cancelled or OrderStatus.Failed;

    /// <summary>Writes the event stream's frames, each flushed at once.</summary>
    private sealed class EventWriter(HttpResponse response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<OrderResponse> orderJson)
    {
        private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();
        private long _id;

        public byte[] Json(OrderResponse order) => JsonSerializer.SerializeToUtf8Bytes(order, orderJson);

        public Task StartAsync(CancellationToken cancellationToken)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = MediaType;
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return response.StartAsync(cancellationToken);
        }

        public Task<byte[]> StatusAsync(OrderResponse order, CancellationToken cancellationToken) => StatusAsync(Json(order), cancellationToken);

        /// <summary><c>event: status</c>, the next id, <paramref name="json"/> as its data; returns <paramref name="json"/>.</summary>
        public async Task<byte[]> StatusAsync(byte[] json, CancellationToken cancellationToken)
        {
            var frame = new ArrayBufferWriter<byte>(json.Length + 48);
            frame.Write(Encoding.UTF8.GetBytes(FormattableString.Invariant($"event: status\nid: {++_id}\ndata: ")));
            frame.Write(json); // written on one line (the API's options do not indent)
            frame.Write("\n\n"u8);
            await response.Body.WriteAsync(frame.WrittenMemory, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            return json;
        }

        public async Task KeepAliveAsync(CancellationToken cancellationToken)
        {
            await response.Body.WriteAsync(KeepAlive, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}

/// <summary>Counts this process's open order streams against <see cref="NotificationOptions.MaxOpenStreams"/>.</summary>
public sealed class OrderEventStreams(IOptions<NotificationOptions> options)
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _open) <= options.Value.MaxOpenStreams) return true;
        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Close() => Interlocked.Decrement(ref _open);
}
