UPDATE orders SET stock_returned_at = now()
WHERE order_id = @order_id AND status = 'failed' AND stock_returned_at IS NULL;
