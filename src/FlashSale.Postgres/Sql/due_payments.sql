-- Pending orders whose payment deadline has passed, earliest first (orders_payment_due makes it a range scan).
SELECT order_id, sale_id, payment_deadline
FROM orders
WHERE status = 'pending_payment' AND payment_deadline <= @now
ORDER BY payment_deadline, order_id
LIMIT @limit;
