-- Idempotent by order id: a redelivered intent inserts nothing and so deducts nothing. The amount and the payment
-- deadline come from the sale (an unknown sale leaves them null, and the row is refused).
INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms, amount, payment_deadline_ms)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, 'pending_payment', @accepted_at_ms, @now_ms,
        (SELECT printf('%.2f', price * @quantity) FROM sales WHERE id = @sale_id),
        @accepted_at_ms + 1000 * (SELECT payment_timeout_seconds FROM sales WHERE id = @sale_id))
ON CONFLICT (order_id) DO NOTHING;
