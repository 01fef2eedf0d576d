INSERT INTO intents (order_id, sale_id, user_id, quantity, request_id, accepted_at_ms)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, @accepted_at_ms);
