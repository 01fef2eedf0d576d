INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms, failure)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, 'failed', @accepted_at_ms, @now_ms, @failure)
ON CONFLICT (order_id) DO NOTHING;
