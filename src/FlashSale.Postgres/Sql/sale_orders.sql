-- Every order of a sale: what the gate is rebuilt from and what reconciliation compares.
SELECT order_id, user_id, quantity, request_id, status, (extract(epoch FROM accepted_at) * 1000)::bigint AS accepted_at_ms
FROM orders WHERE sale_id = @sale_id;
