-- Failed payments, one row per payment id: the order stays payable, and its next payment attempt gets a new
-- idempotency key (attempt = failures + 1). Refunds still owed, found by the refund worker without a scan.
CREATE TABLE payment_failures (
    payment_id  text        PRIMARY KEY,
    order_id    bigint      NOT NULL REFERENCES orders (order_id),
    provider    text        NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX payment_failures_order ON payment_failures (order_id);
CREATE INDEX payments_refund_pending ON payments (payment_id) WHERE status = 'refund_pending';
