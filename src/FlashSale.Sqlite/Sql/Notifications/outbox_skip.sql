-- No webhook configured: waiting rows are marked delivered (skipped), so the trim deletes them.
UPDATE notification_outbox
SET delivered_at_ms = @now_ms, last_error = 'skipped: no webhook configured'
WHERE id IN (SELECT id FROM notification_outbox WHERE delivered_at_ms IS NULL AND dead_at_ms IS NULL ORDER BY id LIMIT @limit);
