-- Idempotent by order id: a redelivered intent inserts nothing and so deducts nothing. The amount and the payment
-- deadline come from the sale (an unknown sale leaves them null, and the row is refused).
INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at, amount, payment_deadline)
SELECT o.order_id, o.sale_id, o.user_id, o.quantity, o.request_id, 'pending_payment', o.accepted_at,
       s.price * o.quantity, o.accepted_at + make_interval(secs => s.payment_timeout_seconds)
FROM unnest(@order_ids, @sale_ids, @user_ids, @quantities, @request_ids, @accepted_ats)
     AS o (order_id, sale_id, user_id, quantity, request_id, accepted_at)
LEFT JOIN sales s ON s.id = o.sale_id
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id, sale_id, user_id, quantity;
