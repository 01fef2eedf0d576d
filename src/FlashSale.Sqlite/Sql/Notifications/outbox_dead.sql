UPDATE notification_outbox SET dead_at_ms = @now_ms, last_error = @error WHERE id = @id AND delivered_at_ms IS NULL;
