-- No webhook configured: waiting rows are marked delivered (skipped), so the trim deletes them.
WITH waiting AS (
    SELECT id FROM notification_outbox
    WHERE delivered_at IS NULL AND dead_at IS NULL
    ORDER BY id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET delivered_at = @now, last_error = 'skipped: no webhook configured'
FROM waiting
WHERE o.id = waiting.id;
