-- Payments owed back, a page at a time by payment id (a refund the provider keeps refusing does not hold up the rest).
SELECT p.payment_id, p.order_id, p.amount, p.currency, p.provider
FROM payments p
WHERE p.status = 'refund_pending' AND p.payment_id COLLATE "C" > @after_payment_id
ORDER BY p.payment_id COLLATE "C"
LIMIT @limit;
