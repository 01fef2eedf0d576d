-- A payment owed back is back; the order's refund is done once no payment of it is still owed.
UPDATE payments SET status = 'refunded' WHERE payment_id = @payment_id AND status = 'refund_pending';
UPDATE orders
SET refund_status = 'refunded'
WHERE order_id = (SELECT order_id FROM payments WHERE payment_id = @payment_id)
  AND refund_status = 'refund_pending'
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.order_id AND p.status = 'refund_pending');
