-- The payment timeout, a batch at a time: pending orders whose deadline has passed, earliest first, are cancelled
-- (reason timeout) and, in the same statement, their units go back to their sales' stock and their quantities back
-- to the users' totals. SKIP LOCKED lets several workers sweep at once without waiting on each other; a payment that
-- holds an order's row wins or loses by the status it finds (the UPDATE re-checks it), never both.
WITH due AS (
    SELECT order_id FROM orders
    WHERE status = 'pending_payment' AND payment_deadline <= @now
    ORDER BY payment_deadline, order_id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
), cancelled AS (
    UPDATE orders o
    SET status = 'cancelled', cancelled_at = @now, cancel_reason = 'timeout'
    FROM due
    WHERE o.order_id = due.order_id AND o.status = 'pending_payment'
    RETURNING o.order_id, o.sale_id, o.user_id, o.quantity, o.request_id, o.accepted_at
), stock AS (
    UPDATE sales s
    SET available_stock = s.available_stock + c.units, version = s.version + 1
    FROM (SELECT sale_id, sum(quantity) AS units FROM cancelled GROUP BY sale_id) c
    WHERE s.id = c.sale_id
), quota AS (
    UPDATE user_purchases u
    SET purchased = u.purchased - c.units
    FROM (SELECT sale_id, user_id, sum(quantity) AS units FROM cancelled GROUP BY sale_id, user_id) c
    WHERE u.sale_id = c.sale_id AND u.user_id = c.user_id
)
SELECT order_id, sale_id, user_id, quantity, request_id, accepted_at FROM cancelled ORDER BY order_id;
