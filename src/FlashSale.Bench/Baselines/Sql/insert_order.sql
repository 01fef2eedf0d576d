INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at, amount, payment_deadline)
SELECT @order_id, @sale_id, @user_id, @quantity, @request_id, 'pending_payment', now(),
       s.price * @quantity, now() + make_interval(secs => s.payment_timeout_seconds)
FROM sales s WHERE s.id = @sale_id;
