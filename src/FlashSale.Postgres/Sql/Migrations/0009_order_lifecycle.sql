-- An order's life after it is accepted: what it costs, when its payment is due, how it was paid, cancelled or
-- refunded; and every payment received, by payment id, so a payment event delivered twice is recorded once.
ALTER TABLE orders
    ADD COLUMN amount           numeric(14,2),
    ADD COLUMN payment_deadline timestamptz,
    ADD COLUMN paid_at          timestamptz,
    ADD COLUMN cancelled_at     timestamptz,
    ADD COLUMN cancel_reason    text CHECK (cancel_reason IN ('timeout', 'user', 'admin')),
    ADD COLUMN payment_id       text,
    ADD COLUMN payment_provider text,
    ADD COLUMN payment_status   text CHECK (payment_status IN ('succeeded')),
    ADD COLUMN refund_status    text CHECK (refund_status IN ('refund_pending', 'refunded')),
    ADD COLUMN refund_amount    numeric(14,2);

-- Orders from before: the sale's price and payment timeout, as the order writer fills them from now on.
UPDATE orders o
SET amount = s.price * o.quantity,
    payment_deadline = o.accepted_at + make_interval(secs => s.payment_timeout_seconds)
FROM sales s
WHERE s.id = o.sale_id;
ALTER TABLE orders ALTER COLUMN amount SET NOT NULL, ALTER COLUMN payment_deadline SET NOT NULL;

CREATE TABLE payments (
    payment_id  text          PRIMARY KEY,
    order_id    bigint        NOT NULL REFERENCES orders (order_id),
    amount      numeric(14,2) NOT NULL,
    currency    text          NOT NULL,
    provider    text          NOT NULL,
    status      text          NOT NULL CHECK (status IN ('succeeded', 'refund_pending', 'refunded')),
    received_at timestamptz   NOT NULL,
    recorded_at timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX payments_order ON payments (order_id);

-- "Pending orders whose payment deadline has passed": a range scan over pending orders only.
CREATE INDEX orders_payment_due ON orders (payment_deadline) WHERE status = 'pending_payment';
-- Cancelled orders whose units the gate has not taken back yet (the database's share goes back at once).
CREATE INDEX orders_cancelled_unreturned ON orders (order_id) WHERE status = 'cancelled' AND stock_returned_at IS NULL;
