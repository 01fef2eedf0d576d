-- Idempotent by order id: a redelivered intent inserts nothing and so deducts nothing.
INSERT INTO orders (order_id, sale_id, user_id, quantity, request_id, status, accepted_at)
SELECT o.order_id, o.sale_id, o.user_id, o.quantity, o.request_id, 'pending_payment', o.accepted_at
FROM unnest(@order_ids, @sale_ids, @user_ids, @quantities, @request_ids, @accepted_ats)
     AS o (order_id, sale_id, user_id, quantity, request_id, accepted_at)
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id, sale_id, user_id, quantity;
