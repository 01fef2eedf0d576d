UPDATE notification_outbox SET next_attempt_at = @next_attempt_at, last_error = @error WHERE id = @id AND delivered_at IS NULL;
