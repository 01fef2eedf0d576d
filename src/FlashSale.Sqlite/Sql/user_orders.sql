SELECT order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms
FROM orders WHERE sale_id = @sale_id AND user_id = @user_id
ORDER BY order_id;
