-- Failed payments and refunds still owed, as in PostgreSQL's 0010_payment_failures_refunds.sql.
CREATE TABLE payment_failures (
    payment_id     TEXT    PRIMARY KEY,
    order_id       INTEGER NOT NULL REFERENCES orders (order_id),
    provider       TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX payment_failures_order ON payment_failures (order_id);
CREATE INDEX payments_refund_pending ON payments (payment_id) WHERE status = 'refund_pending';
