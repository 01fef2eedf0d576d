-- The merchant webhook's outbox, as in PostgreSQL's 0011_notification_outbox.sql: triggers on orders add a row per
-- insert and per change of status or refund status, in the transaction of the change. Times are integer milliseconds.
-- Independent of migration 0009: either may be applied first.
CREATE TABLE notification_outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id           INTEGER NOT NULL,
    sale_id            INTEGER NOT NULL,
    user_id            TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    refund_status      TEXT,
    occurred_at_ms     INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    delivered_at_ms    INTEGER,
    dead_at_ms         INTEGER,
    last_error         TEXT
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at_ms) WHERE delivered_at_ms IS NULL AND dead_at_ms IS NULL;
CREATE INDEX notification_outbox_delivered ON notification_outbox (delivered_at_ms) WHERE delivered_at_ms IS NOT NULL;

CREATE TRIGGER orders_notification_inserted AFTER INSERT ON orders
BEGIN
    INSERT INTO notification_outbox (order_id, sale_id, user_id, status, refund_status, occurred_at_ms, next_attempt_at_ms)
    VALUES (NEW.order_id, NEW.sale_id, NEW.user_id, NEW.status, NEW.refund_status,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER orders_notification_changed AFTER UPDATE OF status, refund_status ON orders
WHEN OLD.status IS NOT NEW.status OR OLD.refund_status IS NOT NEW.refund_status
BEGIN
    INSERT INTO notification_outbox (order_id, sale_id, user_id, status, refund_status, occurred_at_ms, next_attempt_at_ms)
    VALUES (NEW.order_id, NEW.sale_id, NEW.user_id, NEW.status, NEW.refund_status,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
