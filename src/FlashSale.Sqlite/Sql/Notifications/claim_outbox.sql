-- One process owns the file and its writes are serialized: the lease only keeps a row from the next pass until then.
UPDATE notification_outbox
SET attempts = attempts + 1, next_attempt_at_ms = @lease_until_ms
WHERE id IN (
    SELECT id FROM notification_outbox
    WHERE delivered_at_ms IS NULL AND dead_at_ms IS NULL AND next_attempt_at_ms <= @now_ms
    ORDER BY next_attempt_at_ms, id
    LIMIT @limit)
RETURNING id, order_id, sale_id, user_id, status, refund_status, occurred_at_ms, attempts;
