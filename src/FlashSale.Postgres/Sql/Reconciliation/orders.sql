SELECT order_id, user_id, quantity, request_id, status, (extract(epoch FROM accepted_at) * 1000)::bigint
FROM orders WHERE sale_id = @sale_id;
