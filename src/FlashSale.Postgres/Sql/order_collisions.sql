-- Order ids of the batch that already stand for a different order: an id collision, not a redelivery.
SELECT i.order_id
FROM unnest(@order_ids, @sale_ids, @user_ids, @quantities, @request_ids) AS i (order_id, sale_id, user_id, quantity, request_id)
JOIN orders o ON o.order_id = i.order_id
WHERE (o.sale_id, o.user_id, o.quantity, o.request_id) IS DISTINCT FROM (i.sale_id, i.user_id, i.quantity, i.request_id)
LIMIT 1;
