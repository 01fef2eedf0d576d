-- Pending orders whose payment deadline has passed, earliest first (orders_payment_due makes it a range scan).
SELECT order_id, sale_id, payment_deadline_ms
FROM orders
WHERE status = 'pending_payment' AND payment_deadline_ms <= @now_ms
ORDER BY payment_deadline_ms, order_id
LIMIT @limit;
