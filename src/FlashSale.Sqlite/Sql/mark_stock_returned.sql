UPDATE orders SET stock_returned_at_ms = @now_ms
WHERE order_id = @order_id AND status = 'failed' AND stock_returned_at_ms IS NULL;
