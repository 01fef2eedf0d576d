-- A payment owed back is back; the order's refund is done once no payment of it is still owed. The order's row is
-- locked first, so two payments of one order refunded at once by two workers are marked one after the other and the
-- second sees the first (each statement of the transaction reads what committed before it).
SELECT o.order_id FROM orders o JOIN payments p ON p.order_id = o.order_id WHERE p.payment_id = @payment_id FOR UPDATE OF o;
UPDATE payments SET status = 'refunded' WHERE payment_id = @payment_id AND status = 'refund_pending';
UPDATE orders o
SET refund_status = 'refunded'
FROM payments p
WHERE p.payment_id = @payment_id AND o.order_id = p.order_id AND o.refund_status = 'refund_pending'
  AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.order_id = o.order_id AND q.status = 'refund_pending');
