-- Not shared with PostgreSQL's sale_counters.sql: times are integer milliseconds here (accepted_at_ms, persisted_at_ms), timestamptz there.
SELECT s.available_stock,
       coalesce(sum(CASE WHEN o.status IN ('pending_payment', 'paid') THEN o.quantity END), 0) AS persisted_units,
       o.status, count(o.order_id) AS orders, min(o.accepted_at_ms) AS first_accepted, max(o.persisted_at_ms) AS last_persisted, o.refund_status
FROM sales s LEFT JOIN orders o ON o.sale_id = s.id
WHERE s.id = @sale_id
GROUP BY s.available_stock, o.status, o.refund_status;
