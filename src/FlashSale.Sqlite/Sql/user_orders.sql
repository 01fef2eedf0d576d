SELECT order_id, sale_id, user_id, quantity, request_id, status, accepted_at_ms, persisted_at_ms,
       amount, payment_deadline_ms, paid_at_ms, cancelled_at_ms, cancel_reason, payment_id, payment_provider, payment_status, refund_status, refund_amount,
       (SELECT count(*) FROM payment_failures f WHERE f.order_id = orders.order_id) AS failed_payments
FROM orders WHERE sale_id = @sale_id AND user_id = @user_id
ORDER BY order_id;
