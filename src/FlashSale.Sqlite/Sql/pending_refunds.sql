-- Payments owed back, a page at a time by payment id (a refund the provider keeps refusing does not hold up the rest).
SELECT payment_id, order_id, amount, currency, provider
FROM payments
WHERE status = 'refund_pending' AND payment_id > @after_payment_id
ORDER BY payment_id
LIMIT @limit;
