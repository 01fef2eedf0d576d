-- The one way to cancelled: from pending_payment only (a timeout only once the deadline has passed), and in the same
-- statement the order's units go back to the sale's stock and its quantity back to the user's total. The gate's
-- share is owed until stock_returned_at is set.
WITH cancelled AS (
    UPDATE orders
    SET status = 'cancelled', cancelled_at = @now, cancel_reason = @reason
    WHERE order_id = @order_id AND status = 'pending_payment' AND (@reason <> 'timeout' OR payment_deadline <= @now)
    RETURNING sale_id, user_id, quantity
), stock AS (
    UPDATE sales s
    SET available_stock = s.available_stock + c.quantity, version = s.version + 1
    FROM cancelled c
    WHERE s.id = c.sale_id
), quota AS (
    UPDATE user_purchases u
    SET purchased = u.purchased - c.quantity
    FROM cancelled c
    WHERE u.sale_id = c.sale_id AND u.user_id = c.user_id
)
SELECT count(*) FROM cancelled;
