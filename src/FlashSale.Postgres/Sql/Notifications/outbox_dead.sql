UPDATE notification_outbox SET dead_at = @now, last_error = @error WHERE id = @id AND delivered_at IS NULL;
