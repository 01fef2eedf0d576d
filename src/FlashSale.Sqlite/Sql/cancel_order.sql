-- The one way to cancelled: from pending_payment only (a timeout only once the deadline has passed). The caller
-- gives the units back to the sale and the user in the same transaction (return_units.sql).
UPDATE orders
SET status = 'cancelled', cancelled_at_ms = @now_ms, cancel_reason = @reason
WHERE order_id = @order_id AND status = 'pending_payment' AND (@reason <> 'timeout' OR payment_deadline_ms <= @now_ms)
RETURNING order_id, sale_id, user_id, quantity, request_id, accepted_at_ms;
