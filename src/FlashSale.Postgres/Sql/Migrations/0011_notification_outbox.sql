-- The merchant webhook's outbox, written by the database itself: every insert of an order, and every update that
-- changes its status or refund status, adds a row in the same transaction, whoever made the change. Rows are claimed
-- by the webhook dispatchers (claim_outbox.sql); delivered ones are deleted after a retention (trim_outbox.sql).
-- Independent of migration 0010: either may be applied first.
CREATE TABLE notification_outbox (
    id              bigserial   PRIMARY KEY,
    order_id        bigint      NOT NULL,
    sale_id         bigint      NOT NULL,
    user_id         text        NOT NULL,
    status          text        NOT NULL,
    refund_status   text,
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at    timestamptz,
    dead_at         timestamptz,
    last_error      text
);
-- What is due: only rows still waiting, by their next attempt.
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX notification_outbox_delivered ON notification_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Inserts: once per statement over the rows it inserted (the order writer inserts a batch in one statement).
CREATE FUNCTION notification_outbox_orders_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_outbox (order_id, sale_id, user_id, status, refund_status)
    SELECT order_id, sale_id, user_id, status, refund_status FROM inserted_orders ORDER BY order_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_notification_inserted AFTER INSERT ON orders
    REFERENCING NEW TABLE AS inserted_orders
    FOR EACH STATEMENT EXECUTE FUNCTION notification_outbox_orders_inserted();

-- Updates: per row, only when the status or the refund status changed.
CREATE FUNCTION notification_outbox_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_outbox (order_id, sale_id, user_id, status, refund_status)
    VALUES (NEW.order_id, NEW.sale_id, NEW.user_id, NEW.status, NEW.refund_status);
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_notification_changed AFTER UPDATE OF status, refund_status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.refund_status IS DISTINCT FROM NEW.refund_status)
    EXECUTE FUNCTION notification_outbox_order_changed();
