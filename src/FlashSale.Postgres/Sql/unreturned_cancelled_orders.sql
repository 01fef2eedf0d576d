-- Cancelled orders whose stock and quota the gate has not taken back yet (the database's share went back with the
-- cancellation), a page at a time.
SELECT order_id, sale_id, user_id, quantity, request_id, accepted_at
FROM orders
WHERE status = 'cancelled' AND stock_returned_at IS NULL AND order_id > @after_order_id
ORDER BY order_id
LIMIT @limit;
