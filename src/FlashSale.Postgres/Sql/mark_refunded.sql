-- A payment owed back is back; the order's refund is done once no payment of it is still owed.
WITH refunded AS (
    UPDATE payments SET status = 'refunded'
    WHERE payment_id = @payment_id AND status = 'refund_pending'
    RETURNING order_id
)
UPDATE orders o
SET refund_status = 'refunded'
FROM refunded r
WHERE o.order_id = r.order_id
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = r.order_id AND p.status = 'refund_pending' AND p.payment_id <> @payment_id);
