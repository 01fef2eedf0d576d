-- A failed order takes no stock and no quota; if the order was written after all, it stays as it is.
INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at, failure, amount, payment_deadline)
SELECT @order_id, @sale_id, @user_id, @quantity, @request_id, 'failed', @accepted_at, @failure,
       s.price * @quantity, @accepted_at + make_interval(secs => s.payment_timeout_seconds)
FROM (VALUES (@sale_id)) AS v (sale_id)
LEFT JOIN sales s ON s.id = v.sale_id
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id;
