SELECT order_id, sale_id, user_id, quantity, request_id, status, accepted_at, persisted_at,
       amount, payment_deadline, paid_at, cancelled_at, cancel_reason, payment_id, payment_provider, payment_status, refund_status, refund_amount,
       (SELECT count(*)::int FROM payment_failures f WHERE f.order_id = orders.order_id) AS failed_payments
FROM orders WHERE sale_id = @sale_id AND user_id = @user_id
ORDER BY order_id;
