-- Failed or cancelled orders whose units are back in the gate.
UPDATE orders SET stock_returned_at = now()
WHERE order_id = ANY(@order_ids) AND status IN ('failed', 'cancelled') AND stock_returned_at IS NULL;
