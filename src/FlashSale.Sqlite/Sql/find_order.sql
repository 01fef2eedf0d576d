SELECT order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms
FROM orders WHERE order_id = @order_id;
