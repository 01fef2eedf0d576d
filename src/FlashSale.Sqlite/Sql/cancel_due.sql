-- The payment timeout, a batch at a time: pending orders whose deadline has passed, earliest first, are cancelled
-- (reason timeout). The caller gives each one's units back in the same transaction (return_units.sql).
UPDATE orders
SET status = 'cancelled', cancelled_at_ms = @now_ms, cancel_reason = 'timeout'
WHERE order_id IN (
    SELECT order_id FROM orders
    WHERE status = 'pending_payment' AND payment_deadline_ms <= @now_ms
    ORDER BY payment_deadline_ms, order_id
    LIMIT @limit)
RETURNING order_id, sale_id, user_id, quantity, request_id, accepted_at_ms;
