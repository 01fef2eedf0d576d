INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at)
VALUES (@order_id, @sale_id, @user_id, @quantity, @request_id, 'pending_payment', now());
