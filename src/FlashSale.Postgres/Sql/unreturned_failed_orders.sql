-- Failed orders whose stock and quota are not yet confirmed back in the gate, a page at a time.
SELECT order_id, sale_id, user_id, quantity, request_id, accepted_at
FROM orders
WHERE status = 'failed' AND stock_returned_at IS NULL AND order_id > @after_order_id
ORDER BY order_id
LIMIT @limit;
