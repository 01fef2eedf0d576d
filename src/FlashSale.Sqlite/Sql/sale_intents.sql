SELECT order_id, sale_id, user_id, quantity, request_id, accepted_at_ms, returned
FROM intents WHERE sale_id = @sale_id ORDER BY order_id;
