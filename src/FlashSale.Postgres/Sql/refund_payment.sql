-- A payment the order did not take (cancelled, failed, or paid by another payment): the order stays as it is and
-- records the money owed back.
UPDATE orders
SET refund_status = 'refund_pending', refund_amount = coalesce(refund_amount, 0) + @amount
WHERE order_id = @order_id AND status <> 'pending_payment';
