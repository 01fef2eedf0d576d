SELECT order_id, sale_id, user_id, quantity, request_id, status, accepted_at, persisted_at
FROM orders WHERE order_id = @order_id;
