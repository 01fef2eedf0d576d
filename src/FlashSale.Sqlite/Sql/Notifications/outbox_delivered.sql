UPDATE notification_outbox SET delivered_at_ms = @now_ms, last_error = NULL WHERE id = @id AND delivered_at_ms IS NULL;
