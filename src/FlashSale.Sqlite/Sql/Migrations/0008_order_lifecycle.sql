-- An order's life after it is accepted, as in PostgreSQL's 0009_order_lifecycle.sql. Amounts are decimal text with
-- two places (as sales.price); times are integer milliseconds.
ALTER TABLE orders ADD COLUMN amount TEXT NOT NULL DEFAULT '0';
ALTER TABLE orders ADD COLUMN payment_deadline_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN paid_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN cancelled_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN cancel_reason TEXT CHECK (cancel_reason IN ('timeout', 'user', 'admin'));
ALTER TABLE orders ADD COLUMN payment_id TEXT;
ALTER TABLE orders ADD COLUMN payment_provider TEXT;
ALTER TABLE orders ADD COLUMN payment_status TEXT CHECK (payment_status IN ('succeeded'));
ALTER TABLE orders ADD COLUMN refund_status TEXT CHECK (refund_status IN ('refund_pending', 'refunded'));
ALTER TABLE orders ADD COLUMN refund_amount TEXT;

-- Orders from before: the sale's price and payment timeout, as the order writer fills them from now on.
UPDATE orders
SET amount = (SELECT printf('%.2f', s.price * orders.quantity) FROM sales s WHERE s.id = orders.sale_id),
    payment_deadline_ms = accepted_at_ms + 1000 * (SELECT s.payment_timeout_seconds FROM sales s WHERE s.id = orders.sale_id);

CREATE TABLE payments (
    payment_id     TEXT    PRIMARY KEY,
    order_id       INTEGER NOT NULL REFERENCES orders (order_id),
    amount         TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('succeeded', 'refund_pending', 'refunded')),
    received_at_ms INTEGER NOT NULL,
    recorded_at_ms INTEGER NOT NULL
);
CREATE INDEX payments_order ON payments (order_id);

-- SQLite has partial indexes too: pending orders by deadline, and cancelled orders the gate has not taken back.
CREATE INDEX orders_payment_due ON orders (payment_deadline_ms) WHERE status = 'pending_payment';
CREATE INDEX orders_cancelled_unreturned ON orders (order_id) WHERE status = 'cancelled' AND stock_returned_at_ms IS NULL;
