INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms, failure, amount, payment_deadline_ms)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, 'failed', @accepted_at_ms, @now_ms, @failure,
        (SELECT printf('%.2f', price * @quantity) FROM sales WHERE id = @sale_id),
        @accepted_at_ms + 1000 * (SELECT payment_timeout_seconds FROM sales WHERE id = @sale_id))
ON CONFLICT (order_id) DO NOTHING;
