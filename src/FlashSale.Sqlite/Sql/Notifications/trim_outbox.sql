DELETE FROM notification_outbox
WHERE id IN (SELECT id FROM notification_outbox WHERE delivered_at_ms < @delivered_before_ms ORDER BY delivered_at_ms LIMIT @limit);
