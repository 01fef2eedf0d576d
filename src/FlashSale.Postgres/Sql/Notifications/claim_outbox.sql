-- Due rows, locked without waiting for rows another dispatcher holds (SKIP LOCKED), counted as an attempt and leased:
-- their next attempt moves to the lease's end, so once this commits no other claim sees them until then.
WITH due AS (
    SELECT id
    FROM notification_outbox
    WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= @now
    ORDER BY next_attempt_at, id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET attempts = o.attempts + 1, next_attempt_at = @lease_until
FROM due
WHERE o.id = due.id
RETURNING o.id, o.order_id, o.sale_id, o.user_id, o.status, o.refund_status, o.occurred_at, o.attempts;
