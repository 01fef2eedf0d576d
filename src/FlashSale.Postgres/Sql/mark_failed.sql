-- A failed order takes no stock and no quota; if the order was written after all, it stays as it is.
INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at, failure)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, 'failed', @accepted_at, @failure)
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id;
