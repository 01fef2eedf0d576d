SELECT s.available_stock,
       coalesce(sum(o.quantity) FILTER (WHERE o.status IN ('pending_payment', 'paid')), 0) AS persisted_units,
       o.status,
       count(o.order_id) AS orders,
       min(o.accepted_at) AS first_accepted,
       max(o.persisted_at) AS last_persisted,
       o.refund_status
FROM sales s
LEFT JOIN orders o ON o.sale_id = s.id
WHERE s.id = @sale_id
GROUP BY s.available_stock, o.status, o.refund_status;
