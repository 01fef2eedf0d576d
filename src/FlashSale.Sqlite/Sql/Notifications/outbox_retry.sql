UPDATE notification_outbox SET next_attempt_at_ms = @next_attempt_at_ms, last_error = @error WHERE id = @id AND delivered_at_ms IS NULL;
