-- Idempotent by order id: a redelivered intent inserts nothing and so deducts nothing.
INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, 'pending_payment', @accepted_at_ms, @now_ms)
ON CONFLICT (order_id) DO NOTHING;
