UPDATE notification_outbox SET delivered_at = @now, last_error = NULL WHERE id = @id AND delivered_at IS NULL;
