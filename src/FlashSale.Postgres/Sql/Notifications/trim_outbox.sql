DELETE FROM notification_outbox
WHERE id IN (SELECT id FROM notification_outbox WHERE delivered_at < @delivered_before ORDER BY delivered_at LIMIT @limit);
