SELECT i.order_id, i.sale_id, i.user_id, i.quantity, i.request_id, i.accepted_at_ms, i.returned
FROM intents i LEFT JOIN orders o ON o.order_id = i.order_id
WHERE o.order_id IS NULL AND i.returned = 0
ORDER BY i.order_id;
