-- A failed or cancelled order's units are back in the gate.
UPDATE orders SET stock_returned_at = now()
WHERE order_id = @order_id AND status IN ('failed', 'cancelled') AND stock_returned_at IS NULL;
